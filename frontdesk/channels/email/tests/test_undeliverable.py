"""An address that bounced: shown on the contact's page with the reason and date,
warned about and refused by the composer, cleared by staff or by its owner writing."""

from __future__ import annotations

import pytest

from frontdesk.channels.email.models import UndeliverableAddress
from frontdesk.channels.email.receive import receive_raw
from frontdesk.channels.email.tests.test_bounce import dsn
from frontdesk.core.errors import ActionError
from frontdesk.inbox.actions.replies import deliver_message, send_reply
from frontdesk.inbox.models import Conversation, Message, MessageKind

pytestmark = pytest.mark.django_db

REASON = "550 5.1.1 <grace@example.org>: Recipient address rejected: User unknown"


@pytest.fixture
def bounced(email_channel, mail, run_intake, cast, smtp_sink) -> Conversation:
    """Grace wrote, Maya answered, Grace's server bounced the answer."""
    first = run_intake(receive_raw(email_channel, mail(), via="smtpd").event_id)
    conversation: Conversation = first.message.conversation
    reply = deliver_message(send_reply(conversation, body="Yes!", by=cast["agent"]).pk)
    assert reply is not None and reply.status == "sent"
    report = dsn(
        recipient="grace@example.org",
        original_message_id=reply.provider_message_id,
        diagnostic=REASON,
    )
    run_intake(receive_raw(email_channel, report, via="smtpd").event_id)
    assert UndeliverableAddress.objects.filter(address="grace@example.org").exists()
    return conversation


def test_the_contact_page_shows_the_bounced_address_with_reason_and_date(client, cast, bounced):
    client.force_login(cast["agent"].user)
    page = client.get(f"/w/riverside/contacts/{bounced.contact_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Undeliverable email" in html
    assert 'data-undeliverable-address="grace@example.org"' in html
    assert "User unknown" in html
    marked = UndeliverableAddress.objects.get()
    assert f"{marked.bounced_at:%Y}" in html and "Deliverable again" in html


def test_the_composer_warns_and_a_reply_to_the_bounced_address_is_refused(
    client, cast, bounced, smtp_sink
):
    client.force_login(cast["agent"].user)
    page = client.get(f"/w/riverside/inbox/{bounced.number}/").content.decode()
    assert "data-no-route" in page and "bounced on" in page and "User unknown" in page
    sent_before = len(smtp_sink.received)
    with pytest.raises(ActionError, match="bounced"):
        send_reply(bounced, body="Try again?", by=cast["agent"])
    # The page's form says why (the inbox's usual error message after a redirect).
    response = client.post(
        f"/w/riverside/inbox/{bounced.number}/reply/", {"body": "Again?"}, follow=True
    )
    assert "can’t receive this reply" in response.content.decode()
    assert Message.objects.filter(kind=MessageKind.REPLY).count() == 1
    assert len(smtp_sink.received) == sent_before


def test_staff_clear_the_mark_and_replies_go_out_again(client, cast, bounced, smtp_sink):
    marked = UndeliverableAddress.objects.get()
    client.force_login(cast["agent"].user)
    response = client.post(
        f"/w/riverside/settings/channels/email/undeliverable/{marked.pk}/clear/",
        {"contact": bounced.contact_id},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/w/riverside/contacts/{bounced.contact_id}/"
    assert not UndeliverableAddress.objects.exists()
    page = client.get(f"/w/riverside/contacts/{bounced.contact_id}/").content.decode()
    assert "Undeliverable email" not in page
    reply = deliver_message(send_reply(bounced, body="Trying again", by=cast["agent"]).pk)
    assert reply is not None and reply.status == "sent"
    assert smtp_sink.last()["To"].addresses[0].addr_spec == "grace@example.org"


def test_a_moderator_and_another_workspace_cannot_clear_the_mark(client, cast, bounced):
    marked = UndeliverableAddress.objects.get()
    url = f"/w/riverside/settings/channels/email/undeliverable/{marked.pk}/clear/"
    client.force_login(cast["moderator"].user)
    assert client.post(url).status_code == 403
    client.force_login(cast["outsider"].user)
    # Hillview's member neither sees Riverside's mark nor clears it.
    assert client.post(url).status_code in (403, 404)
    other = f"/w/hillview/settings/channels/email/undeliverable/{marked.pk}/clear/"
    assert client.post(other).status_code == 404
    assert UndeliverableAddress.objects.filter(pk=marked.pk).exists()


def test_the_mark_clears_when_the_person_writes_again(
    email_channel, mail, run_intake, cast, bounced
):
    run_intake(receive_raw(email_channel, mail(body="New address works"), via="smtpd").event_id)
    assert not UndeliverableAddress.objects.exists()
    reply = deliver_message(send_reply(bounced, body="Got it", by=cast["agent"]).pk)
    assert reply is not None and reply.status == "sent"

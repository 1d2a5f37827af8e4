"""Outreach's staff pages: campaigns and results, templates with the live check, the
preview for a real contact and the test send (to a real SMTP server on loopback),
sender identities; refusals without the capability, other workspaces' rows 404."""

from __future__ import annotations

import html
import io
import re
from email.utils import parseaddr

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from frontdesk.channels.email.actions import create_email_channel
from frontdesk.inbox.models import Conversation
from frontdesk.outreach import sending
from frontdesk.outreach.actions.authoring import create_sender_identity, create_template
from frontdesk.outreach.actions.campaigns import create_campaign, send_notice, start_campaign
from frontdesk.outreach.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryState,
    SenderIdentity,
    Template,
    Topic,
)
from frontdesk.outreach.tests.conftest import free_port

pytestmark = pytest.mark.django_db

BASE = "/w/riverside/outreach"


@pytest.fixture
def grace(make_contact):
    return make_contact("Grace Hopper", "grace@example.org", branch="Eastside")


@pytest.fixture
def hillview_rows(cast, make_user):
    """A sender, a template and a campaign of the outsider's workspace."""
    outsider = cast["outsider"]
    channel = create_email_channel(
        outsider.workspace,
        name="Hillview mail",
        setup={"address": "desk@hillview.example", "outbound_backend": "default"},
        by=outsider,
    )
    sender = create_sender_identity(member=outsider, email_channel=channel, by=outsider)
    template = create_template(
        outsider.workspace_id,
        name="Secret",
        subject="Hillview secret",
        html="<p>x</p>",
        by=outsider,
    )
    campaign = create_campaign(name="Secret", sender=sender, template=template, by=outsider)
    return {"sender": sender, "template": template, "campaign": campaign}


def test_every_page_renders_for_an_agent(
    client_for, cast, maya_sender, welcome, grace, django_assert_max_num_queries
):
    client = client_for(cast["agent"])
    campaign = create_campaign(
        name="Spring welcome", sender=maya_sender, template=welcome, by=cast["agent"]
    )
    for url in (
        f"{BASE}/",
        f"{BASE}/templates/",
        f"{BASE}/templates/new/",
        f"{BASE}/templates/{welcome.pk}/",
        f"{BASE}/senders/",
        f"{BASE}/campaigns/new/",
        f"{BASE}/campaigns/{campaign.pk}/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
    with django_assert_max_num_queries(12):
        index = client.get(f"{BASE}/").content.decode()
    assert "Spring welcome" in index and "Draft" in index
    assert "Opens and clicks are not tracked" in index
    # "Send it as a campaign" from the editor starts the form with that template.
    form = client.get(f"{BASE}/campaigns/new/?template={welcome.pk}").content.decode()
    assert f'<option value="{welcome.pk}" selected>' in form


def test_index_shows_results_per_campaign(
    client_for, cast, maya_sender, welcome, make_contact, smtp_sink
):
    for n in range(4):
        make_contact(f"Reader {n}", f"reader{n}@example.org")
    campaign = create_campaign(
        name="Welcome", sender=maya_sender, template=welcome, by=cast["agent"]
    )
    start_campaign(campaign, by=cast["agent"])
    sending.send_due(budget_seconds=30)
    rows = list(Delivery.objects.filter(campaign=campaign).order_by("pk"))
    assert [r.state for r in rows] == [DeliveryState.SENT] * 4
    Delivery.objects.filter(pk=rows[0].pk).update(bounced_at=timezone.now())
    Delivery.objects.filter(pk=rows[1].pk).update(unsubscribed_at=timezone.now())
    conversation = Conversation.objects.create(
        workspace_id=campaign.workspace_id,
        channel=maya_sender.email_channel,
        contact=rows[2].contact,
        number=99,
    )
    Delivery.objects.filter(pk=rows[2].pk).update(reply_conversation=conversation)

    client = client_for(cast["agent"])
    page = client.get(f"{BASE}/").content.decode()
    row = page.split(f'id="campaign-{campaign.pk}"')[1].split("</tr>")[0]
    results = {
        name: int(re.sub(r"<[^>]+>", "", value))
        for name, value in re.findall(r'data-result="(\w+)">(.*?)</td>', row)
    }
    # delivered: sent and not bounced
    assert results == {"delivered": 3, "bounced": 1, "unsubscribed": 1, "replied": 1}
    detail = client.get(f"{BASE}/campaigns/{campaign.pk}/").content.decode()
    assert 'id="result-delivered">3<' in detail and 'id="result-bounced">1<' in detail
    assert 'data-state="sent">4<' in detail and 'data-state="queued">0<' in detail


def test_creating_a_template_validates_and_shows_problems_as_errors(client_for, cast, riverside):
    client = client_for(cast["agent"])
    empty = client.post(f"{BASE}/templates/new/", {"name": "Hello", "kind": "email"})
    assert empty.status_code == 400
    assert "An email needs a subject." in empty.content.decode()
    bad = client.post(
        f"{BASE}/templates/new/",
        {"name": "Hello", "kind": "email", "subject": "Hi", "html": "{{ contact.password }}"},
    )
    assert bad.status_code == 400
    assert "contact has only" in html.unescape(bad.content.decode())
    assert not Template.objects.exists()
    good = client.post(
        f"{BASE}/templates/new/",
        {
            "name": "Hello",
            "kind": "email",
            "subject": "Hi {{ contact.first_name }}",
            "html": "<p>Dear customer, do not reply.</p>",
        },
    )
    template = Template.objects.get()
    assert good.status_code == 302 and good["Location"].endswith(f"/templates/{template.pk}/")
    edited = client.post(
        f"{BASE}/templates/{template.pk}/",
        {"name": "Hello again", "kind": "sms", "sms_body": "Hi {{ contact.first_name }}!"},
    )
    assert edited.status_code == 302
    template.refresh_from_db()
    assert (template.name, template.kind, template.sms_body) == (
        "Hello again",
        "sms",
        "Hi {{ contact.first_name }}!",
    )


def test_a_template_in_use_keeps_its_kind(client_for, cast, maya_sender, welcome):
    create_campaign(name="Uses it", sender=maya_sender, template=welcome, by=cast["agent"])
    client = client_for(cast["agent"])
    response = client.post(
        f"{BASE}/templates/{welcome.pk}/",
        {"name": "Welcome", "kind": "sms", "sms_body": "Hi!"},
    )
    assert response.status_code == 400
    assert "make a new one to send it as text message" in response.content.decode()
    welcome.refresh_from_db()
    assert welcome.kind == "email" and welcome.sms_body == ""
    # Its text may still change.
    saved = client.post(
        f"{BASE}/templates/{welcome.pk}/",
        {"name": "Welcome", "kind": "email", "subject": "Hello", "html": "<p>Hi</p>"},
    )
    assert saved.status_code == 302


def test_the_editor_suggests_friendlier_wording_while_typing(client_for, cast, grace):
    client = client_for(cast["agent"])
    response = client.post(
        f"{BASE}/templates/check/",
        {
            "kind": "email",
            "subject": "Notice",
            "html": "<p>Dear Customer,</p><p>This mailbox is no-reply.</p>",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "Dear Customer" in text and "Greet them by name" in text
    assert "no-reply" in text and "Send as a person" in text
    broken = client.post(
        f"{BASE}/templates/check/",
        {"kind": "email", "subject": "x", "html": "{% load evil %}"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Fix before saving" in broken and "not a placeholder" in broken


def test_preview_renders_the_template_for_a_real_contact(
    client_for, cast, welcome, maya_sender, grace, make_contact
):
    make_contact("Ada Lovelace", "ada@example.org", branch="Main & Co")
    ada = make_contact("Ada <b>Byron</b>", "byron@example.org")
    client = client_for(cast["agent"])
    page = client.get(f"{BASE}/templates/{welcome.pk}/?contact={grace.pk}").content.decode()
    assert "Welcome to the library, Grace!" in page
    frame = html.unescape(page.split('srcdoc="')[1].split('"')[0])
    assert "<p>Hi Grace,</p>" in frame and "<b>Eastside</b>" in frame
    assert "Youth Services Librarian, Riverside Public Library" in frame  # the signature
    # The live preview follows the chosen contact; their values are escaped in the HTML.
    fragment = client.post(
        f"{BASE}/templates/check/",
        {
            "kind": "email",
            "subject": welcome.subject,
            "html": welcome.html,
            "contact": ada.pk,
            "sender": maya_sender.pk,
        },
    ).content.decode()
    frame = html.unescape(fragment.split('srcdoc="')[1].split('"')[0])
    assert "<p>Hi Ada,</p>" in frame and "any branch" in frame
    assert "&lt;b&gt;Byron&lt;/b&gt;" in fragment.split("srcdoc")[0]


def test_a_test_send_reaches_the_member_from_the_person(
    client_for, cast, welcome, maya_sender, grace, smtp_sink
):
    client = client_for(cast["agent"])
    response = client.post(
        f"{BASE}/templates/{welcome.pk}/test/",
        {"sender": maya_sender.pk, "contact": grace.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "on its way to maya@riverside.example" in response.content.decode()
    assert len(smtp_sink.received) == 1
    _mail_from, recipients, _raw = smtp_sink.received[0]
    assert recipients == ["maya@riverside.example"]
    mail = smtp_sink.messages()[0]
    name, address = parseaddr(str(mail["From"]))
    assert name.startswith("Maya Patel") and address == "desk@riverside.example"
    assert str(mail["Subject"]) == "[Test] Welcome to the library, Grace!"
    assert "+o0-" in str(mail["Reply-To"])
    body = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hi Grace," in body and "Eastside" in body
    assert not Delivery.objects.exists()


def test_a_test_send_that_fails_says_why(client_for, cast, riverside, welcome, grace):
    closed = create_email_channel(
        riverside,
        name="Unreachable mail",
        setup={
            "address": "closed@riverside.example",
            "outbound_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": free_port(),  # nothing listens there
            "smtp_use_tls": False,
        },
        by=cast["owner"],
    )
    sender = create_sender_identity(member=cast["agent"], email_channel=closed, by=cast["owner"])
    client = client_for(cast["agent"])
    response = client.post(
        f"{BASE}/templates/{welcome.pk}/test/",
        {"sender": sender.pk, "contact": grace.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "The test could not be sent" in response.content.decode()


def test_adding_a_sender_identity(client_for, cast, email_channel):
    client = client_for(cast["admin"])
    missing = client.post(f"{BASE}/senders/", {"member": cast["agent"].pk})
    assert missing.status_code == 400
    assert "Choose how this person" in html.unescape(missing.content.decode())
    made = client.post(
        f"{BASE}/senders/",
        {
            "member": cast["agent"].pk,
            "title": "Branch Librarian",
            "email_channel": email_channel.pk,
            "from_address": "Maya@Riverside.example",
        },
    )
    assert made.status_code == 302
    sender = SenderIdentity.objects.get()
    assert (sender.name, sender.title, sender.from_address, sender.from_address_verified) == (
        "Maya Patel",
        "Branch Librarian",
        "maya@riverside.example",
        False,
    )
    listed = client.get(f"{BASE}/senders/").content.decode()
    assert "Maya Patel" in listed and "not verified yet" in listed


def test_a_sender_photo_is_checked_and_stored_without_its_metadata(client_for, cast, email_channel):
    client = client_for(cast["admin"])
    not_an_image = SimpleUploadedFile("me.png", b"not a picture", content_type="image/png")
    refused = client.post(
        f"{BASE}/senders/",
        {"member": cast["agent"].pk, "email_channel": email_channel.pk, "photo": not_an_image},
    )
    assert refused.status_code == 400 and not SenderIdentity.objects.exists()
    picture = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make: metadata a stored photo must not keep
    Image.new("RGB", (900, 600), "teal").save(picture, "JPEG", exif=exif)
    upload = SimpleUploadedFile("me.jpg", picture.getvalue(), content_type="image/jpeg")
    made = client.post(
        f"{BASE}/senders/",
        {"member": cast["agent"].pk, "email_channel": email_channel.pk, "photo": upload},
    )
    assert made.status_code == 302
    sender = SenderIdentity.objects.get()
    with Image.open(sender.photo.path) as stored:
        assert max(stored.size) <= 512 and not stored.getexif()
    assert sender.photo.url in client.get(f"{BASE}/senders/").content.decode()
    # A face recipients may see: served from the public staff folder, like members' photos.
    assert sender.photo.name.startswith("staff/")
    served = Client().get(sender.photo.url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"  # type: ignore[attr-defined]
    sender.photo.delete(save=False)  # the test's file, out of the data folder again


def test_creating_starting_pausing_and_resuming_a_campaign(
    client_for, cast, maya_sender, welcome, make_contact, riverside, smtp_sink
):
    make_contact("Teen One", "teen1@example.org", branch="Eastside")
    make_contact("Adult Two", "adult2@example.org", branch="Main")
    topic = Topic.objects.create(workspace=riverside, slug="news", name="News")
    client = client_for(cast["agent"])
    bad = client.post(
        f"{BASE}/campaigns/new/",
        {"name": "x", "sender": maya_sender.pk, "template": welcome.pk, "custom_fields": "oops"},
    )
    assert bad.status_code == 400 and "name=value" in bad.content.decode()
    made = client.post(
        f"{BASE}/campaigns/new/",
        {
            "name": "Eastside hello",
            "sender": maya_sender.pk,
            "template": welcome.pk,
            "topic": topic.pk,
            "tags": "",
            "custom_fields": "branch=Eastside",
        },
    )
    campaign = Campaign.objects.get()
    assert made.status_code == 302 and campaign.audience == {"fields": {"branch": "Eastside"}}
    assert campaign.topic == topic and campaign.status == CampaignStatus.DRAFT
    page = client.get(f"{BASE}/campaigns/{campaign.pk}/").content.decode()
    assert "<strong>1</strong> recipient today" in page and "Send now" in page

    past = client.post(
        f"{BASE}/campaigns/{campaign.pk}/start/", {"when": "later", "at": "2020-01-01T10:00"}
    )
    assert past.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    client.post(
        f"{BASE}/campaigns/{campaign.pk}/start/", {"when": "later", "at": "2099-06-01T10:00"}
    )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_for.year == 2099
    client.post(f"{BASE}/campaigns/{campaign.pk}/pause/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    client.post(f"{BASE}/campaigns/{campaign.pk}/resume/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    assert Delivery.objects.filter(campaign=campaign).count() == 1
    refused = client.post(f"{BASE}/campaigns/{campaign.pk}/resume/")
    assert refused.status_code == 400


def test_a_member_without_the_capability_is_refused(
    client_for, cast, maya_sender, welcome, grace, email_channel
):
    campaign = create_campaign(name="C", sender=maya_sender, template=welcome, by=cast["agent"])
    moderator = client_for(cast["moderator"])
    # Moderators read (the inbox is theirs too) but do not send.
    assert moderator.get(f"{BASE}/").status_code == 200
    assert moderator.get(f"{BASE}/templates/{welcome.pk}/").status_code == 200
    for url, data in (
        (f"{BASE}/templates/new/", {}),
        (f"{BASE}/templates/{welcome.pk}/test/", {"sender": maya_sender.pk, "contact": grace.pk}),
        (f"{BASE}/campaigns/new/", {}),
        (f"{BASE}/campaigns/{campaign.pk}/start/", {"when": "now"}),
        (f"{BASE}/campaigns/{campaign.pk}/pause/", {}),
        (f"{BASE}/campaigns/{campaign.pk}/resume/", {}),
    ):
        assert moderator.post(url, data).status_code == 403, url
    saved = moderator.post(
        f"{BASE}/templates/{welcome.pk}/",
        {"name": "Mine now", "kind": "email", "subject": "x", "html": "<p>x</p>"},
    )
    assert saved.status_code == 403
    welcome.refresh_from_db()
    assert welcome.name == "Welcome"
    # Only admins make someone the face of outreach.
    agent = client_for(cast["agent"])
    refused = agent.post(
        f"{BASE}/senders/", {"member": cast["agent"].pk, "email_channel": email_channel.pk}
    )
    assert refused.status_code == 403
    assert SenderIdentity.objects.count() == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_another_workspaces_rows_are_404(
    client_for, cast, maya_sender, welcome, grace, hillview_rows
):
    client = client_for(cast["owner"])
    template, campaign, sender = (
        hillview_rows["template"],
        hillview_rows["campaign"],
        hillview_rows["sender"],
    )
    assert client.get(f"{BASE}/templates/{template.pk}/").status_code == 404
    assert client.get(f"{BASE}/campaigns/{campaign.pk}/").status_code == 404
    for action in ("start", "pause", "resume"):
        assert client.post(f"{BASE}/campaigns/{campaign.pk}/{action}/").status_code == 404
    assert (
        client.post(
            f"{BASE}/templates/{welcome.pk}/test/", {"sender": sender.pk, "contact": grace.pk}
        ).status_code
        == 404
    )
    # A foreign sender or template is no choice in this workspace's forms.
    foreign = client.post(
        f"{BASE}/campaigns/new/",
        {"name": "x", "sender": sender.pk, "template": template.pk},
    )
    assert foreign.status_code == 400
    assert not Campaign.objects.filter(workspace=cast["owner"].workspace).exists()
    listed = (
        client.get(f"{BASE}/").content.decode() + client.get(f"{BASE}/templates/").content.decode()
    )
    assert "Secret" not in listed


def test_recent_notices_show_whom_what_and_how_it_went(
    client_for, cast, maya_sender, welcome, grace, smtp_sink
):
    send_notice(
        sender=maya_sender,
        template=welcome,
        contact=grace,
        data={},
        external_id="welcome-grace",
        by=cast["agent"],
    )
    client = client_for(cast["agent"])
    waiting = client.get(f"{BASE}/").content.decode().split('id="notices-h"')[1]
    assert "Grace Hopper" in waiting and "Welcome" in waiting and "Queued" in waiting
    sending.send_due(budget_seconds=30)
    assert len(smtp_sink.received) == 1
    sent = client.get(f"{BASE}/").content.decode().split('id="notices-h"')[1]
    assert "Grace Hopper" in sent and ">Sent<" in sent


def test_the_editor_previews_as_yourself_when_you_are_a_sender(
    client_for, cast, welcome, maya_sender, email_channel, grace
):
    # The owner's sender is listed first; the agent (Maya) previews as herself.
    create_sender_identity(
        member=cast["owner"], name="Aaron Director", email_channel=email_channel, by=cast["owner"]
    )
    page = client_for(cast["agent"]).get(f"{BASE}/templates/{welcome.pk}/").content.decode()
    # Both sender lists (the preview's "From" and the test send's) start on her.
    lists = re.findall(
        r'<select id="(?:preview|test)-sender" name="sender".*?</select>', page, re.S
    )
    chosen = [re.findall(r'<option value="(\d+)" selected>', found) for found in lists]
    assert len(lists) == 2 and chosen == [[str(maya_sender.pk)]] * 2
    frame = html.unescape(page.split('srcdoc="')[1].split('"')[0])
    assert "Youth Services Librarian" in frame

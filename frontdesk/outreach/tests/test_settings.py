"""The outreach settings page (/w/<ws>/outreach/settings/): the postal address in
every footer, the default sender, open and click tracking, and the topics people
opt in to. Admins and owners change them; everyone else who reads the inbox looks."""

from __future__ import annotations

from email.utils import parseaddr

import pytest

from frontdesk.channels.email.actions import create_email_channel
from frontdesk.core.errors import ActionError, NotAllowed
from frontdesk.outreach import sending, tokens
from frontdesk.outreach.actions.app_notices import sender_for
from frontdesk.outreach.actions.authoring import (
    create_sender_identity,
    create_template,
    remove_sender_identity,
)
from frontdesk.outreach.actions.campaigns import create_campaign, start_campaign
from frontdesk.outreach.actions.settings import (
    create_topic,
    update_outreach_settings,
    update_topic,
)
from frontdesk.outreach.models import (
    Campaign,
    Delivery,
    OutreachSettings,
    Subscription,
    SubscriptionStatus,
    Topic,
)

pytestmark = pytest.mark.django_db

PAGE = "/w/riverside/outreach/settings/"
TOPICS = "/w/riverside/outreach/settings/topics/"
ADDRESS = "Riverside Public Library\n12 River Road\nRiverside, OR 97000"


def _send_welcome(cast, maya_sender, welcome) -> Campaign:
    campaign = create_campaign(name="W", sender=maya_sender, template=welcome, by=cast["agent"])
    start_campaign(campaign, by=cast["agent"])
    _sent, more = sending.send_due(budget_seconds=60)
    assert not more
    return campaign


def test_the_address_saved_on_the_page_is_the_footer_of_a_sent_message(
    cast, riverside, maya_sender, welcome, make_contact, smtp_sink, client_for
):
    make_contact("Grace Hopper", "grace@example.org")
    client = client_for(cast["admin"])
    page = client.get(PAGE).content.decode()
    assert 'href="/w/riverside/outreach/settings/" aria-current="page"' in page
    assert "Shown at the foot of every message" in page
    # Tracking is off until someone turns it on.
    assert (
        'name="track_opens_and_clicks"' in page
        and "checked" not in page.split('name="track_opens_and_clicks"')[1].split(">")[0]
    )

    saved = client.post(
        PAGE,
        {"physical_address": f"  {ADDRESS}  \n", "default_sender": maya_sender.pk},
    )
    assert saved.status_code == 302 and saved["Location"] == PAGE
    settings = OutreachSettings.objects.get(workspace=riverside)
    assert settings.physical_address == ADDRESS
    assert settings.default_sender == maya_sender and not settings.track_opens_and_clicks
    # The default sender is who notices come from when the one acting has none.
    assert sender_for(riverside.pk, cast["admin"], "email") == maya_sender
    again = client.get(PAGE).content.decode()
    assert "12 River Road" in again and f'value="{maya_sender.pk}" selected' in again

    _send_welcome(cast, maya_sender, welcome)
    (mail,) = smtp_sink.messages()
    assert parseaddr(mail["To"])[1] == "grace@example.org"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(("html",)).get_content()
    assert text.endswith("\n" + ADDRESS)
    assert "12 River Road<br>Riverside, OR 97000" in html

    # A new address is in the next message.
    client.post(PAGE, {"physical_address": "PO Box 7\nRiverside, OR 97001"})
    smtp_sink.received.clear()
    make_contact("Ada Lovelace", "ada@example.org")
    _send_welcome(cast, maya_sender, welcome)
    sent = {parseaddr(m["To"])[1]: m for m in smtp_sink.messages()}
    footer = sent["ada@example.org"].get_body(("plain",)).get_content()
    assert "PO Box 7" in footer and "12 River Road" not in footer
    assert OutreachSettings.objects.get(workspace=riverside).default_sender is None


def test_an_agent_sees_the_page_without_its_forms_and_is_refused_on_post(
    cast, riverside, maya_sender, client_for
):
    update_outreach_settings(
        riverside.pk,
        physical_address=ADDRESS,
        track_opens_and_clicks=False,
        default_sender=maya_sender,
        by=cast["owner"],
    )
    topic = create_topic(riverside.pk, name="Events", by=cast["owner"])
    client = client_for(cast["agent"])
    page = client.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "12 River Road" in body and "Maya Patel" in body and "Not tracked" in body
    assert "Events" in body and f'id="topic-{topic.pk}"' in body
    assert "<form" not in body.split('id="settings-h"')[1]
    assert 'name="physical_address"' not in body and 'name="slug"' not in body
    assert f"/settings/topics/{topic.pk}/" not in body

    assert client.post(PAGE, {"physical_address": "Elsewhere"}).status_code == 403
    assert client.post(TOPICS, {"name": "Sneaky"}).status_code == 403
    assert client.get(f"{TOPICS}{topic.pk}/").status_code == 403
    assert client.post(f"{TOPICS}{topic.pk}/", {"name": "Renamed"}).status_code == 403
    assert OutreachSettings.objects.get(workspace=riverside).physical_address == ADDRESS
    assert list(Topic.objects.values_list("name", flat=True)) == ["Events"]
    with pytest.raises(NotAllowed):
        create_topic(riverside.pk, name="Sneaky", by=cast["agent"])
    with pytest.raises(NotAllowed):
        update_outreach_settings(
            riverside.pk,
            physical_address="",
            track_opens_and_clicks=True,
            default_sender=None,
            by=cast["agent"],
        )


def test_another_workspaces_sender_cannot_be_the_default(
    cast, riverside, maya_sender, smtp_sink, client_for
):
    hillview = cast["outsider"].workspace
    theirs = create_sender_identity(
        member=cast["outsider"],
        email_channel=create_email_channel(
            hillview,
            name="Hillview desk",
            setup={
                "address": "desk@hillview.example",
                "display_name": "",
                "outbound_backend": "smtp",
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp_sink.port,
                "smtp_use_tls": False,
            },
            by=cast["outsider"],
        ),
        by=cast["outsider"],
    )
    client = client_for(cast["owner"])
    assert f'value="{theirs.pk}"' not in client.get(PAGE).content.decode()
    refused = client.post(PAGE, {"physical_address": ADDRESS, "default_sender": theirs.pk})
    assert refused.status_code == 400
    assert "Choose one of this workspace&#x27;s senders." in refused.content.decode()
    assert not OutreachSettings.objects.filter(workspace=riverside).exists()
    # The action says no on its own too, and to an archived sender.
    with pytest.raises(ActionError, match="this workspace's senders"):
        update_outreach_settings(
            riverside.pk,
            physical_address="",
            track_opens_and_clicks=False,
            default_sender=theirs,
            by=cast["owner"],
        )
    kept = create_template(riverside.pk, name="T", subject="Hi", html="<p>Hi</p>", by=cast["agent"])
    create_campaign(name="Kept", sender=maya_sender, template=kept, by=cast["agent"])
    assert remove_sender_identity(maya_sender, by=cast["owner"]) is False  # archived
    maya_sender.refresh_from_db()
    with pytest.raises(ActionError, match="archived"):
        update_outreach_settings(
            riverside.pk,
            physical_address="",
            track_opens_and_clicks=False,
            default_sender=maya_sender,
            by=cast["owner"],
        )
    assert not OutreachSettings.objects.filter(workspace=riverside).exists()


def test_adding_topics_slugs_from_names_and_a_taken_slug_is_a_form_error(
    cast, riverside, client_for
):
    client = client_for(cast["admin"])
    added = client.post(
        TOPICS, {"name": "Book Club & Friends", "slug": "", "description": "Monthly picks"}
    )
    assert added.status_code == 302
    topic = Topic.objects.get(workspace=riverside)
    assert added["Location"] == f"{PAGE}#topic-{topic.pk}"
    assert (topic.slug, topic.name, topic.double_opt_in) == (
        "book-club-friends",
        "Book Club & Friends",
        False,
    )
    page = client.get(PAGE).content.decode()
    assert "topic.book-club-friends" in page and "Monthly picks" in page

    for fields in (
        {"name": "Another club", "slug": "book-club-friends"},
        {"name": "Book club: friends!"},  # the same slug, made from the name
    ):
        refused = client.post(TOPICS, fields)
        assert refused.status_code == 400
        body = refused.content.decode()
        assert "A topic with the slug “book-club-friends” exists already" in body
        assert 'value="Another club"' in body or 'value="Book club: friends!"' in body
    refused = client.post(TOPICS, {"name": "", "slug": ""})
    assert refused.status_code == 400 and b"This field is required." in refused.content
    refused = client.post(TOPICS, {"name": "Odd", "slug": "no spaces please"})
    assert refused.status_code == 400 and b"Use lowercase letters" in refused.content
    refused = client.post(TOPICS, {"name": "x" * 81})
    assert refused.status_code == 400
    assert Topic.objects.filter(workspace=riverside).count() == 1
    with pytest.raises(ActionError, match="exists already"):
        create_topic(riverside.pk, name="Again", slug="book-club-friends", by=cast["admin"])
    with pytest.raises(ActionError, match="makes no slug"):
        create_topic(riverside.pk, name="!!!", by=cast["admin"])
    # Another workspace may use the same slug.
    theirs = create_topic(
        cast["outsider"].workspace_id,
        name="Book club",
        slug="book-club-friends",
        by=cast["outsider"],
    )
    assert theirs.slug == "book-club-friends"


def test_editing_a_topic_keeps_its_slug_and_double_opt_in_unsubscribes_nobody(
    cast, riverside, make_contact, client_for
):
    topic = create_topic(riverside.pk, name="Events", by=cast["owner"])
    grace = make_contact("Grace Hopper", "grace@example.org")
    Subscription.objects.create(
        workspace=riverside, contact=grace, topic=topic, status=SubscriptionStatus.SUBSCRIBED
    )
    client = client_for(cast["admin"])
    form = client.get(f"{TOPICS}{topic.pk}/").content.decode()
    assert 'value="Events"' in form and 'name="slug"' not in form
    assert "unsubscribes nobody" in form
    saved = client.post(
        f"{TOPICS}{topic.pk}/",
        {"name": "Events and talks", "slug": "changed", "description": "", "double_opt_in": "on"},
    )
    assert saved.status_code == 302
    topic.refresh_from_db()
    assert (topic.name, topic.slug, topic.double_opt_in) == ("Events and talks", "events", True)
    assert Subscription.objects.get(topic=topic).status == SubscriptionStatus.SUBSCRIBED
    page = client.get(PAGE).content.decode()
    row = page.split(f'id="topic-{topic.pk}"')[1].split("</tr>")[0]
    assert "Events and talks" in row and "Yes" in row
    assert [cell.split("<")[0] for cell in row.split('class="num">')[1:]] == ["1", "0", "0"]
    assert client.post(f"{TOPICS}{topic.pk}/", {"name": " "}).status_code == 400
    with pytest.raises(ActionError, match="Give the topic a name"):
        update_topic(topic, name="  ", by=cast["admin"])
    # Another workspace's topic is not found here.
    theirs = create_topic(cast["outsider"].workspace_id, name="Theirs", by=cast["outsider"])
    assert client.get(f"{TOPICS}{theirs.pk}/").status_code == 404


def test_a_new_double_opt_in_topic_is_offered_on_the_preferences_page(
    cast, riverside, maya_sender, welcome, make_contact, smtp_sink, client_for
):
    make_contact("Grace Hopper", "grace@example.org")
    _send_welcome(cast, maya_sender, welcome)
    delivery = Delivery.objects.get()
    client = client_for(cast["admin"])
    added = client.post(
        TOPICS,
        {
            "name": "Monthly newsletter",
            "description": "What's on, once a month",
            "double_opt_in": "on",
        },
    )
    assert added.status_code == 302
    topic = Topic.objects.get(workspace=riverside, slug="monthly-newsletter")
    assert topic.double_opt_in

    client.logout()
    preferences = f"/o/preferences/{tokens.sign('preferences', delivery.pk)}/"
    page = client.get(preferences).content.decode()
    assert "Monthly newsletter" in page and "What&#x27;s on, once a month" in page
    assert 'value="monthly-newsletter"' in page
    response = client.post(preferences, {"topic": ["monthly-newsletter"]})
    assert response.status_code == 200
    assert Subscription.objects.get(topic=topic).status == SubscriptionStatus.PENDING

"""Texts from a person: "Send me a test" for an SMS template goes to the signed-in
member's own mobile number (their profile) through the sender's SMS channel, and a
campaign's texts are signed by their sender the same way. The provider is the
loopback Twilio stand-in; the tests read the body it received."""

from __future__ import annotations

import html

import pytest

from frontdesk.core.models import ContactIdentity
from frontdesk.outreach import sending
from frontdesk.outreach.actions.authoring import create_sender_identity, create_template
from frontdesk.outreach.actions.campaigns import create_campaign, start_campaign
from frontdesk.outreach.models import ContactData, Delivery, DeliveryState

pytestmark = pytest.mark.django_db

BASE = "/w/riverside/outreach"
MAYA_MOBILE = "+15550100999"


@pytest.fixture
def texts(make_sms_channel):
    return make_sms_channel()


@pytest.fixture
def grace_by_phone(make_contact, riverside):
    grace = make_contact("Grace Hopper", "grace@example.org", branch="Eastside")
    ContactIdentity.objects.create(
        workspace=riverside, contact=grace, kind="phone", value="+15550100123"
    )
    return grace


@pytest.fixture
def hold_text(cast, riverside):
    return create_template(
        riverside.pk,
        name="Hold ready (text)",
        kind="sms",
        sms_body="Hi {{ contact.first_name }}, your hold is ready at {{ custom.branch }}.",
        by=cast["agent"],
    )


@pytest.fixture
def texting_maya(cast, texts):
    return create_sender_identity(member=cast["agent"], sms_channel=texts, by=cast["owner"])


def test_a_member_adds_their_mobile_number_to_their_profile(client_for, cast):
    maya = cast["agent"]
    client = client_for(maya)
    fields = {
        "display_name": maya.display_name,
        "title": "",
        "signature": "",
        "sms_sign_off": "",
        "notify_by_email": "on",
    }
    bad = client.post("/w/riverside/settings/profile/", {**fields, "mobile": "call me"})
    assert bad.status_code == 400
    assert "is not a phone number" in html.unescape(bad.content.decode())
    maya.refresh_from_db()
    assert maya.mobile == ""
    # A local number is read in the workspace's country and stored as E.164.
    saved = client.post("/w/riverside/settings/profile/", {**fields, "mobile": "(555) 010-0999"})
    assert saved.status_code == 302
    maya.refresh_from_db()
    assert maya.mobile == MAYA_MOBILE
    assert f'value="{MAYA_MOBILE}"' in client.get("/w/riverside/settings/profile/").content.decode()
    client.post("/w/riverside/settings/profile/", {**fields, "mobile": ""})
    maya.refresh_from_db()
    assert maya.mobile == ""


def test_send_me_a_test_texts_the_member_personalised_and_signed(
    client_for, cast, hold_text, texting_maya, grace_by_phone, twilio_api
):
    maya = cast["agent"]
    maya.mobile = MAYA_MOBILE
    maya.sms_sign_off = "– Maya @ Riverside"
    maya.save(update_fields=["mobile", "sms_sign_off"])
    client = client_for(maya)
    editor = client.get(f"{BASE}/templates/{hold_text.pk}/?contact={grace_by_phone.pk}")
    page = editor.content.decode()
    assert f"Text a test to {MAYA_MOBILE} as" in page
    # The preview shows the text as it goes out: signed.
    assert "your hold is ready at Eastside.\n– Maya @ Riverside" in html.unescape(page)

    response = client.post(
        f"{BASE}/templates/{hold_text.pk}/test/",
        {"sender": texting_maya.pk, "contact": grace_by_phone.pk},
        follow=True,
    )
    assert f"A text written for Grace Hopper is on its way to {MAYA_MOBILE}" in html.unescape(
        response.content.decode()
    )
    (text,) = twilio_api.sent_to(MAYA_MOBILE)
    assert text.body == ("[Test] Hi Grace, your hold is ready at Eastside.\n– Maya @ Riverside")
    assert text.from_ == "+15017122661"  # the sender's SMS channel
    assert not twilio_api.sent_to("+15550100123")  # not the contact
    assert not Delivery.objects.exists()


def test_without_a_mobile_number_or_a_text_channel_it_says_what_to_do(
    client_for, cast, hold_text, texting_maya, maya_sender, grace_by_phone, twilio_api
):
    client = client_for(cast["agent"])
    editor = client.get(f"{BASE}/templates/{hold_text.pk}/").content.decode()
    assert (
        "add your mobile number to" in editor and 'href="/w/riverside/settings/profile/"' in editor
    )
    no_number = client.post(
        f"{BASE}/templates/{hold_text.pk}/test/",
        {"sender": texting_maya.pk, "contact": grace_by_phone.pk},
        follow=True,
    )
    assert "Add your mobile number to your profile first" in html.unescape(
        no_number.content.decode()
    )

    maya = cast["agent"]
    maya.mobile = MAYA_MOBILE
    maya.save(update_fields=["mobile"])
    # maya_sender sends email only.
    no_channel = client.post(
        f"{BASE}/templates/{hold_text.pk}/test/",
        {"sender": maya_sender.pk, "contact": grace_by_phone.pk},
        follow=True,
    )
    assert no_channel.status_code == 200
    assert "Maya Patel sends no texts" in html.unescape(no_channel.content.decode())
    assert not twilio_api.messages


def test_a_campaign_text_is_signed_by_its_sender(
    cast, riverside, hold_text, texting_maya, grace_by_phone, twilio_api
):
    ContactData.objects.filter(contact=grace_by_phone).update(fields={"branch": "Main"})
    campaign = create_campaign(
        name="Holds", sender=texting_maya, template=hold_text, by=cast["agent"]
    )
    start_campaign(campaign, by=cast["agent"])
    sending.send_due(budget_seconds=30)
    (text,) = twilio_api.sent_to("+15550100123")
    # No sign-off of her own: her first name.
    assert text.body == "Hi Grace, your hold is ready at Main.\n– Maya"
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_a_text_that_names_its_sender_is_not_signed_twice(
    cast, riverside, texting_maya, grace_by_phone, twilio_api
):
    template = create_template(
        riverside.pk,
        name="From Maya",
        kind="sms",
        sms_body="Hi {{ contact.first_name }}, {{ sender.first_name }} here from the library.",
        by=cast["agent"],
    )
    campaign = create_campaign(name="Hi", sender=texting_maya, template=template, by=cast["agent"])
    start_campaign(campaign, by=cast["agent"])
    sending.send_due(budget_seconds=30)
    (text,) = twilio_api.sent_to("+15550100123")
    assert text.body == "Hi Grace, Maya here from the library."


def test_a_provider_served_by_this_server_is_called_from_the_worker(settings, texting_maya):
    """The demo's Twilio stand-in answers at this server's own address: a web request
    must not wait on it (with one thread per web process it would wait until the
    timeout), so only then is the test text handed to the worker."""
    from frontdesk.outreach.preview import provider_is_this_server

    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8123"
    settings.CONNECTOR_BASE_URLS = {"twilio": "http://127.0.0.1:8123/demo/twilio"}
    assert provider_is_this_server(texting_maya) is True
    settings.CONNECTOR_BASE_URLS = {"twilio": "http://127.0.0.1:9999/"}
    assert provider_is_this_server(texting_maya) is False
    settings.CONNECTOR_BASE_URLS = {}
    assert provider_is_this_server(texting_maya) is False

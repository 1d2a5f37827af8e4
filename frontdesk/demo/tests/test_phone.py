"""The demo's phone simulator: its data, its closed doors outside demo mode, and the
whole loop on a real `frontdesk serve` in demo mode (signed webhook in, a staff reply
out through the adapter to the in-app Twilio stand-in, a signed delivery report back).
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest
from twilio.request_validator import RequestValidator

from frontdesk.channels.sms.models import SmsChannelConfig, SmsKeyword
from frontdesk.demo import sms as demo
from frontdesk.demo.core import load_demo
from frontdesk.demo.models import SimulatedText
from frontdesk.demo.phone import actions as simulator
from frontdesk.inbox.models import Channel, Conversation, InboundEvent, InboxSettings, Message
from tests.system.demo_server import serve_demo
from tests.system.server import http_get, wait_until

SID = re.compile(r"^(AC|SM)[0-9a-f]{32}$")


# --- In process -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/demo/phone/", "/demo/phone/thread/", "/demo/twilio/2010-04-01/Accounts/AC1/Messages.json"],
)
def test_the_simulator_and_its_twilio_do_not_exist_outside_demo_mode(client, url, settings):
    settings.FRONTDESK_DEMO = False
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "hi"}).status_code == 404


@pytest.fixture
def sms_demo(db, mailoutbox, settings):
    settings.PUBLIC_BASE_URL = "https://demo.frontdesk.example"
    return load_demo()


def test_the_demo_library_has_a_text_number_with_keywords_and_maya_on_duty(sms_demo):
    config = SmsChannelConfig.objects.for_workspace(sms_demo).get()
    assert config.channel.name == "Main desk texts"
    assert config.phone_number == "+15550104477"  # 555-01xx: reserved for fiction
    assert SID.match(config.account_sid) and config.account_sid.startswith("AC" + "0" * 16)
    assert re.fullmatch(r"0{16}[0-9a-f]{16}", config.auth_token)
    assert config.on_duty.display_name == "Maya Patel"
    assert config.channel.auto_acknowledge is True
    assert "HOURS" in config.help_text
    keywords = dict(SmsKeyword.objects.for_workspace(sms_demo).values_list("keyword", "reply"))
    assert set(keywords) == {"ADDRESS", "HOURS"}
    assert "Sun 1–5pm" in keywords["HOURS"]
    assert InboxSettings.objects.get(workspace=sms_demo).sms_sign_with_first_name is True


def test_demo_texts_came_through_the_twilio_path_and_replies_are_signed(sms_demo):
    sms = Channel.objects.get(workspace=sms_demo, kind="sms")
    events = InboundEvent.objects.filter(channel=sms)
    assert events.count() == 5
    for event in events:
        assert SID.match(event.provider_message_id)
        assert event.raw["MessageSid"] == event.provider_message_id
        assert event.raw["AccountSid"] == sms.sms_config.account_sid
        assert event.raw["To"] == "+15550104477"
    people = Message.objects.filter(channel=sms, kind="reply", automatic="")
    assert {(m.author.first_name, m.status) for m in people} == {
        ("Maya", "delivered"),
        ("Daniel", "delivered"),
    }
    # What the phones received: the replies as sent, signed with the first name.
    received = SimulatedText.objects.filter(channel=sms, direction="to_phone")
    signed = [text.body for text in received if text.body.endswith("\n– Maya")]
    assert any(body.startswith("Hi Kathy!") for body in signed)
    assert received.filter(body__startswith="Thanks").count() == 3  # acknowledgements
    # An acknowledgement is nobody's first response: Ana is still waiting for a person.
    ana = Conversation.objects.get(channel=sms, contact__name="Ana Lopez")
    assert ana.first_response_at is None and ana.waiting_since is not None


def test_loading_the_demo_twice_adds_no_texts(sms_demo):
    models = (Channel, SmsChannelConfig, SmsKeyword, InboundEvent, Message, SimulatedText)
    before = {model.__name__: model.objects.count() for model in models}
    load_demo()
    assert {model.__name__: model.objects.count() for model in models} == before
    assert [name for name, _ in demo.DEMO_STEPS].count("sms") == 1


def test_the_inbound_form_is_signed_over_the_public_webhook_url(sms_demo, settings):
    config = SmsChannelConfig.objects.for_workspace(sms_demo).get()
    form = simulator.inbound_form(config, phone="+15550100188", body="HOURS", sid="SM" + "a" * 32)
    url = simulator.webhook_url(config)
    assert url == f"https://demo.frontdesk.example/hooks/sms/{config.webhook_key}/"
    signature = simulator.signature(config.auth_token, url, form)
    assert RequestValidator(config.auth_token).validate(url, form, signature)
    assert not RequestValidator("f" * 32).validate(url, form, signature)
    assert (form["From"], form["To"], form["NumMedia"]) == ("+15550100188", "+15550104477", "0")


@pytest.mark.django_db
def test_the_phone_refuses_a_text_it_cannot_send(sms_demo, client, settings):
    settings.FRONTDESK_DEMO = True
    response = client.post(
        "/demo/phone/send/",
        {"to": "+15550104477", "from": "+15550100188", "body": "   "},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Type a message first." in response.content.decode()
    assert response["HX-Trigger"] == "phone-send-failed"
    assert not SimulatedText.objects.filter(phone="+15550100188").exists()


# --- A real demo server ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    with serve_demo(tmp_path_factory.mktemp("sms-demo")) as server:
        yield server


def _query(server, code: str) -> object:
    return json.loads(server.shell(code).splitlines()[-1])


def _texts(server, phone: str, *, at_least: int) -> list | None:
    """The phone's texts as [direction, status, body], once there are `at_least`."""
    texts = _query(server, TEXTS.format(phone=phone))
    return texts if len(texts) >= at_least else None


def _text_from_the_phone(server, phone: str, body: str) -> str:
    """Send a text as the page's form does (with its CSRF token); return the page."""
    jar = urllib.request.HTTPCookieProcessor()
    opener = urllib.request.build_opener(jar)
    query = urllib.parse.urlencode({"from": phone})
    status, page = http_get(f"{server.base_url}/demo/phone/?{query}", opener=opener)
    assert status == 200, page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "to": "+15550104477", "from": phone, "body": body}
    ).encode()
    request = urllib.request.Request(
        f"{server.base_url}/demo/phone/send/",
        data=form,
        headers={"Origin": server.base_url, "Referer": f"{server.base_url}/demo/phone/"},
    )
    with opener.open(request, timeout=30) as response:
        return response.read().decode()


EVENT = """
import json
from frontdesk.inbox.models import InboundEvent
rows = InboundEvent.objects.filter(sender_address={phone!r}, channel__kind="sms")
print(json.dumps([r.raw for r in rows.order_by("created_at")]))
"""

TEXTS = """
import json
from frontdesk.demo.models import SimulatedText
rows = SimulatedText.objects.filter(phone={phone!r}).order_by("created_at", "id")
print(json.dumps([[t.direction, t.status, t.body] for t in rows]))
"""

REPLY_AS_MAYA = """
from frontdesk.core.models import Membership
from frontdesk.inbox import actions
from frontdesk.inbox.models import Conversation
conversation = Conversation.objects.get(contact__identities__value={phone!r})
maya = Membership.objects.get(user__email="maya@riverside-library.example")
actions.send_reply(conversation, body={body!r}, by=maya)
print(conversation.pk)
"""

REPLY_STATUS = """
import json
from frontdesk.inbox.models import Message
m = Message.objects.filter(kind="reply", automatic="", body={body!r}).get()
print(json.dumps([m.status, m.provider_message_id]))
"""


@pytest.mark.system
def test_a_text_from_the_phone_goes_through_the_signed_webhook(demo_server):
    phone = "+15550100161"
    page = _text_from_the_phone(demo_server, phone, "Is the library open on Sunday?")
    assert "Is the library open on Sunday?" in page  # the phone shows it at once

    raws = wait_until(
        lambda: _query(demo_server, EVENT.format(phone=phone)),
        deadline=60,
        what="the webhook to store the text",
    )
    [raw] = raws
    assert raw["Body"] == "Is the library open on Sunday?"
    assert (raw["From"], raw["To"], raw["NumMedia"]) == (phone, "+15550104477", "0")
    assert SID.match(raw["MessageSid"]) and SID.match(raw["AccountSid"])
    # The webhook answered 2xx (the phone says Delivered), and the channel acknowledged
    # the first text of a new conversation through the stand-in, naming Maya.
    texts = wait_until(
        lambda: _texts(demo_server, phone, at_least=2),
        deadline=60,
        what="the acknowledgement to reach the phone",
    )
    assert texts[0] == ["to_library", "delivered", "Is the library open on Sunday?"]
    assert texts[1][0] == "to_phone" and "Riverside Public Library" in texts[1][2]


@pytest.mark.system
def test_a_keyword_is_answered_on_the_phone(demo_server):
    phone = "+15550100162"
    _text_from_the_phone(demo_server, phone, "hours")
    texts = wait_until(
        lambda: _texts(demo_server, phone, at_least=2), deadline=60, what="the HOURS reply"
    )
    assert "Mon–Thu 9am–8pm" in texts[-1][2]


@pytest.mark.system
def test_stop_shows_the_opt_out_confirmation_on_the_phone(demo_server):
    # Issue 20, item 2: Twilio answers STOP itself; the demo phone shows that answer.
    phone = "+15550100164"
    _text_from_the_phone(demo_server, phone, "stop")
    texts = wait_until(
        lambda: _texts(demo_server, phone, at_least=2), deadline=60, what="the confirmation"
    )
    assert texts[0] == ["to_library", "delivered", "stop"]
    assert texts[1][:2] == ["to_phone", "delivered"]
    assert texts[1][2].startswith("You have successfully been unsubscribed.")


@pytest.mark.system
def test_a_staff_reply_reaches_the_phone_signed_and_reported_delivered(demo_server):
    phone = "+15550100163"
    _text_from_the_phone(demo_server, phone, "Can I renew a book by text?")
    wait_until(lambda: _query(demo_server, EVENT.format(phone=phone)), deadline=60, what="the text")
    wait_until(
        lambda: demo_server.shell(
            "from frontdesk.inbox.models import Conversation;"
            f"print(Conversation.objects.filter(contact__identities__value={phone!r}).count())"
        ).endswith("1"),
        deadline=60,
        what="the conversation",
    )
    body = "Yes! Text us the titles and we'll renew them for you."
    demo_server.shell(REPLY_AS_MAYA.format(phone=phone, body=body))

    def reply_on_phone():
        texts = _query(demo_server, TEXTS.format(phone=phone))
        return next((t for t in texts if t[2].startswith("Yes!")), None)

    direction, _, received = wait_until(
        reply_on_phone, deadline=60, what="Maya's reply on the phone"
    )
    assert direction == "to_phone"
    assert received == f"{body}\n– Maya"

    # Twilio's delivery report, signed and posted by the stand-in, reached the inbox.
    def reported() -> list | None:
        status_and_sid = _query(demo_server, REPLY_STATUS.format(body=body))
        return status_and_sid if status_and_sid[0] == "delivered" else None

    _, sid = wait_until(reported, deadline=60, what="the delivery report")
    assert SID.match(sid)
    # And the page's own poll shows it.
    query = urllib.parse.urlencode({"to": "+15550104477", "from": phone})
    code, fragment = http_get(f"{demo_server.base_url}/demo/phone/thread/?{query}")
    assert code == 200 and "– Maya" in fragment

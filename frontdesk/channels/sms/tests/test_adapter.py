"""The SMS adapter: channel config -> provider, sign-off, long replies, no duplicates.

Everything goes through the twilio SDK to the loopback stand-in (`twilio_api`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict
from twilio.request_validator import RequestValidator

from frontdesk.channels.sms.accounts import account_for, status_callback_url
from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.connectors.base import ConnectorError, InboundRequest, OutboundMessage
from frontdesk.connectors.sms.adapter import SmsConnector, split_body
from frontdesk.connectors.sms.length import utf16_units
from frontdesk.inbox.kinds import get_connector

CUSTOMER = "+15035550123"
WORDS = "The library's summer reading programme starts in June. " * 60  # ~3,300 characters

sms = SmsConnector()


def reply(body: str, signature: str = "", to: str | None = CUSTOMER) -> OutboundMessage:
    return OutboundMessage(to_address=to, body=body, signature=signature)


def bodies(twilio_api) -> list[str]:
    return [message.body for message in twilio_api.messages]


def test_sms_is_a_registered_channel_kind():
    connector = get_connector("sms")
    assert isinstance(connector, SmsConnector)
    assert (connector.label, connector.reply_identity_kind, connector.sign_off) == (
        "SMS",
        "phone",
        "short",
    )
    for capability in ("parse_inbound", "fetch_attachment", "parse_status_callback", "find_sent"):
        assert SmsConnector.can(capability)


def test_account_for_reads_the_channels_config(make_sms_channel):
    channel = make_sms_channel(messaging_service_sid="MG" + "1" * 32)
    config = SmsChannelConfig.objects.get(channel=channel)
    account = account_for(channel)
    assert (account.provider, account.account_sid, account.auth_token) == (
        "twilio",
        config.account_sid,
        config.auth_token,
    )
    assert account.messaging_service_sid == "MG" + "1" * 32
    assert config.auth_token not in repr(account)  # never in logs or tracebacks


def test_account_for_another_workspace_is_not_configured(make_sms_channel, cast):
    channel = make_sms_channel()
    with pytest.raises(ConnectorError) as caught:
        channel.workspace_id = cast["outsider"].workspace_id
        account_for(channel)
    assert (caught.value.permanent, caught.value.code) == (True, "not_configured")


def test_a_reply_goes_out_with_the_sign_off_on_its_own_line(twilio_api, make_sms_channel, settings):
    settings.PUBLIC_BASE_URL = "https://desk.riverside.example"
    channel = make_sms_channel()
    result = sms.send(account_for(channel), reply("We open at 10 on Sunday.  ", signature="– Maya"))
    [sent] = twilio_api.messages
    assert sent.body == "We open at 10 on Sunday.\n– Maya"
    assert sent.from_ == "+15017122661"
    key = channel.sms_config.webhook_key
    assert sent.status_callback == f"https://desk.riverside.example/hooks/sms/{key}/status/"
    assert status_callback_url(key) == sent.status_callback
    assert result.provider_message_id == sent.sid


def test_a_pooled_channel_sends_through_its_messaging_service(twilio_api, make_sms_channel):
    channel = make_sms_channel(pool=("+15017122662",))
    sms.send(account_for(channel), reply("Hi"))
    [sent] = twilio_api.messages
    assert sent.messaging_service_sid == channel.sms_config.messaging_service_sid
    assert "From" not in sent.form


def test_a_long_reply_goes_as_numbered_parts_in_order(twilio_api, make_sms_channel):
    channel = make_sms_channel()
    result = sms.send(account_for(channel), reply(WORDS, signature="– Maya"))
    sent = bodies(twilio_api)
    assert [body[:6] for body in sent] == ["(1/3) ", "(2/3) ", "(3/3) "]
    assert all(utf16_units(body) <= 1600 for body in sent)
    assert " ".join(body[6:] for body in sent).split() == (WORDS + "\n– Maya").split()
    assert sent[-1].endswith("June.\n– Maya")
    assert result.provider_message_id == twilio_api.messages[0].sid
    assert result.detail.startswith("3 parts: ")
    assert result.part_ids == tuple(m.sid for m in twilio_api.messages)


def test_a_part_that_fails_once_is_retried_without_resending_others(twilio_api, make_sms_channel):
    channel = make_sms_channel()
    twilio_api.fail_next(503, after=1)  # part 2 meets a 503 once
    sms.send(account_for(channel), reply(WORDS))
    sent = bodies(twilio_api)
    assert [body[:6] for body in sent] == ["(1/3) ", "(2/3) ", "(3/3) "]
    assert len([r for r in twilio_api.requests if r.method == "POST"]) == 4


def test_a_part_that_keeps_failing_ends_permanently_after_the_first(twilio_api, make_sms_channel):
    channel = make_sms_channel()
    twilio_api.fail_next(503, after=1, times=3)  # part 2, and both inline retries
    with pytest.raises(ConnectorError) as caught:
        sms.send(account_for(channel), reply(WORDS))
    # Permanent: a queue retry would send part 1 a second time.
    assert caught.value.permanent
    assert caught.value.message.startswith("Sent 1 of 3 parts; part 2 failed: ")
    assert [body[:6] for body in bodies(twilio_api)] == ["(1/3) "]
    assert len([r for r in twilio_api.requests if r.method == "POST"]) == 4


def test_a_first_part_failure_stays_temporary(twilio_api, make_sms_channel):
    channel = make_sms_channel()
    twilio_api.fail_next(503)
    with pytest.raises(ConnectorError) as caught:
        sms.send(account_for(channel), reply(WORDS))
    assert not caught.value.permanent
    assert bodies(twilio_api) == []


def test_a_refused_later_part_is_not_retried(twilio_api, make_sms_channel):
    channel = make_sms_channel()
    twilio_api.fail_next(400, code=21610, after=1)  # the customer opted out meanwhile
    with pytest.raises(ConnectorError) as caught:
        sms.send(account_for(channel), reply(WORDS))
    assert (caught.value.permanent, caught.value.code) == (True, "21610")
    assert "Sent 1 of 3 parts" in caught.value.message
    assert len([r for r in twilio_api.requests if r.method == "POST"]) == 2


def test_a_text_twilio_took_before_timing_out_is_not_sent_again(
    twilio_api, make_sms_channel, settings
):
    settings.SMS_API_TIMEOUT_SECONDS = 0.5
    channel = make_sms_channel()
    twilio_api.stall_next(10, record=True)  # Twilio takes it, then answers too late
    result = sms.send(account_for(channel), reply("Your hold is ready"))
    [sent] = twilio_api.messages
    assert result.provider_message_id == sent.sid


def test_a_timeout_where_twilio_took_nothing_stays_temporary(
    twilio_api, make_sms_channel, settings
):
    settings.SMS_API_TIMEOUT_SECONDS = 0.5
    channel = make_sms_channel()
    twilio_api.stall_next(10)
    with pytest.raises(ConnectorError) as caught:
        sms.send(account_for(channel), reply("Your hold is ready"))
    assert (caught.value.permanent, caught.value.code) == (False, "timeout")
    assert bodies(twilio_api) == []


def test_find_sent_recognises_a_reply_already_sent(twilio_api, make_sms_channel):
    channel = make_sms_channel()
    since = datetime.now(UTC) - timedelta(seconds=2)
    message = reply(WORDS, signature="– Maya")
    result = sms.send(account_for(channel), message)
    found = sms.find_sent(account_for(channel), message, since=since)
    assert found is not None
    assert found.provider_message_id == result.provider_message_id
    assert sms.find_sent(account_for(channel), reply("Something else"), since=since) is None


def test_no_number_is_a_permanent_error(make_sms_channel):
    channel = make_sms_channel()
    with pytest.raises(ConnectorError) as caught:
        sms.send(account_for(channel), reply("Hi", to=None))
    assert (caught.value.permanent, caught.value.code) == (True, "no_address")


def test_a_channel_without_sms_settings_is_a_permanent_error(make_sms_channel):
    channel = make_sms_channel()
    channel.sms_config.delete()
    with pytest.raises(ConnectorError) as caught:
        sms.send(account_for(channel), reply("Hi"))
    assert (caught.value.permanent, caught.value.code) == (True, "not_configured")


def signed_request(url: str, body: bytes, token: str) -> InboundRequest:
    signature = RequestValidator(token).compute_signature(url, QueryDict(body))
    return InboundRequest("POST", url, {"X-Twilio-Signature": signature}, body)


def test_parse_inbound_verifies_then_reads(twilio_api, make_sms_channel, settings):
    settings.PUBLIC_BASE_URL = "https://desk.riverside.example"
    channel = make_sms_channel()
    config = channel.sms_config
    form = twilio_api.inbound_message(
        config.account_sid, from_=CUSTOMER, to=config.phone_number, body="Hours?"
    )
    url = f"https://desk.riverside.example/hooks/sms/{config.webhook_key}/"
    body = QueryDict(mutable=True)
    body.update(form)
    request = signed_request(url, body.urlencode().encode(), config.auth_token)
    [event] = sms.parse_inbound(account_for(channel), request)
    assert (event.provider_message_id, event.body) == (form["MessageSid"], "Hours?")
    forged = signed_request(url, body.urlencode().encode(), "not-the-token")
    with pytest.raises(ConnectorError) as caught:
        sms.parse_inbound(account_for(channel), forged)
    assert caught.value.code == "bad_signature"


def test_a_status_callback_from_the_stand_in_is_read(twilio_api, make_sms_channel, settings):
    settings.PUBLIC_BASE_URL = "https://desk.riverside.example"
    channel = make_sms_channel()
    result = sms.send(account_for(channel), reply("Hi"))
    url, form = twilio_api.status_callback(result.provider_message_id, "undelivered", 30003)
    body = QueryDict(mutable=True)
    body.update(form)
    request = signed_request(url, body.urlencode().encode(), channel.sms_config.auth_token)
    [status] = sms.parse_status_callback(account_for(channel), request)
    assert (status.provider_message_id, status.status, status.error_code) == (
        result.provider_message_id,
        "failed",
        "30003",
    )


def test_fetch_attachment_downloads_an_mms_picture(twilio_api, make_sms_channel):
    channel = make_sms_channel()
    config = channel.sms_config
    form = twilio_api.inbound_message(
        config.account_sid,
        from_=CUSTOMER,
        to=config.phone_number,
        media=[("image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)],
    )
    attachment = sms.fetch_attachment(account_for(channel), form["MediaUrl0"])
    assert attachment.content_type == "image/png"
    assert attachment.data.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("text", "parts"),
    [("Short", ["Short"]), ("x" * 1600, ["x" * 1600]), ("😀" * 800, ["😀" * 800])],
)
def test_texts_up_to_the_limit_stay_whole(text, parts):
    assert split_body(text) == parts


def test_emoji_count_twice_towards_the_limit():
    parts = split_body("😀" * 801)
    assert len(parts) == 2
    assert all(utf16_units(part) <= 1600 for part in parts)
    assert "".join(part[6:] for part in parts) == "😀" * 801


def test_splitting_prefers_line_breaks_then_spaces_then_cuts_a_long_word():
    text = ("a" * 1200) + "\n" + ("b " * 300)
    first, second = split_body(text)
    assert first == "(1/2) " + "a" * 1200
    assert second.startswith("(2/2) b b")
    word = "z" * 2000
    first, second = split_body(word)
    assert utf16_units(first) == 1600 and first.startswith("(1/2) z")
    assert first[6:] + second[6:] == word


def test_many_parts_number_with_room_for_two_digits():
    parts = split_body("word " * 4000)  # 20,000 characters: the longest reply allowed
    assert len(parts) == 13
    assert parts[9].startswith("(10/13) ")
    assert all(utf16_units(part) <= 1600 for part in parts)


def test_a_staff_reply_reaches_twilio_once_signed_by_its_author(
    twilio_api, make_sms_channel, cast, django_capture_on_commit_callbacks
):
    """The whole outbound path: send_reply -> deliver_message -> adapter -> Twilio."""
    from frontdesk.core.actions.contacts import create_contact
    from frontdesk.inbox.actions import send_reply, start_conversation
    from frontdesk.inbox.actions.conversations import inbox_settings_for
    from frontdesk.inbox.actions.replies import deliver_message
    from frontdesk.inbox.models import DeliveryStatus

    channel = make_sms_channel()
    policy = inbox_settings_for(channel.workspace)
    policy.sms_sign_with_first_name = True
    policy.save()
    contact = create_contact(
        channel.workspace, name="Ada", identities=[("phone", CUSTOMER)], by=None
    )
    conversation = start_conversation(channel.workspace, contact=contact, channel=channel)
    with django_capture_on_commit_callbacks(execute=True):
        message = send_reply(conversation, body="Yes, 10 to 4 on Sunday.", by=cast["agent"])
    assert deliver_message(message.pk) is None  # a second run finds it claimed and sent
    message.refresh_from_db()
    [sent] = twilio_api.messages
    assert sent.to == CUSTOMER
    assert sent.body == "Yes, 10 to 4 on Sunday.\n– Maya"
    assert (message.status, message.provider_message_id) == (DeliveryStatus.SENT, sent.sid)

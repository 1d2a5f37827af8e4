"""Finding a webhook's channel by its key, remembered for a few seconds per process."""

from __future__ import annotations

import pytest

from frontdesk.channels.sms import lookup
from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.channels.sms.tests.phone import SmsHooks
from frontdesk.inbox.models import Channel, Message

pytest_plugins = ["frontdesk.channels.sms.tests.webhooks"]
pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.now = 1000.0
        monkeypatch.setattr(lookup.time, "monotonic", lambda: self.now)


def test_a_key_finds_its_channel_account_and_provider(make_sms_channel):
    channel = make_sms_channel()
    config = SmsChannelConfig.objects.get(channel=channel)
    found = lookup.channel_for_key(config.webhook_key)
    assert found is not None
    assert found.config.channel == channel
    assert found.config.channel.workspace == channel.workspace
    assert (found.account.account_sid, found.account.auth_token) == (
        config.account_sid,
        config.auth_token,
    )
    assert found.provider.name == "twilio"
    assert lookup.channel_for_key("no-such-key") is None


def test_within_the_memory_window_no_query_is_made(make_sms_channel, django_assert_num_queries):
    key = SmsChannelConfig.objects.get(channel=make_sms_channel()).webhook_key
    first = lookup.channel_for_key(key)
    with django_assert_num_queries(0):
        assert lookup.channel_for_key(key) is first


def test_a_change_made_elsewhere_is_seen_once_the_window_passes(
    make_sms_channel, monkeypatch, settings
):
    # Another process changed the token: no signal reaches this one (update() sends
    # none either), so only the window's end brings the new token in.
    settings.SMS_CHANNEL_CACHE_SECONDS = 5
    clock = Clock(monkeypatch)
    config = SmsChannelConfig.objects.get(channel=make_sms_channel())
    old_token = config.auth_token
    assert lookup.channel_for_key(config.webhook_key).account.auth_token == old_token
    SmsChannelConfig.objects.filter(pk=config.pk).update(auth_token="f" * 32)
    clock.now += 4.9
    assert lookup.channel_for_key(config.webhook_key).account.auth_token == old_token
    clock.now += 0.2
    assert lookup.channel_for_key(config.webhook_key).account.auth_token == "f" * 32


def test_saving_a_config_or_its_channel_here_is_seen_at_once(make_sms_channel):
    config = SmsChannelConfig.objects.get(channel=make_sms_channel())
    assert lookup.channel_for_key(config.webhook_key).config.channel.is_active
    config.auth_token = "e" * 32
    config.save()
    assert lookup.channel_for_key(config.webhook_key).account.auth_token == "e" * 32
    channel = Channel.objects.get(pk=config.channel_id)
    channel.is_active = False
    channel.save()
    assert not lookup.channel_for_key(config.webhook_key).config.channel.is_active


def test_unknown_keys_are_not_remembered(make_sms_channel, django_assert_num_queries):
    for _ in range(3):
        assert lookup.channel_for_key("probing-a-random-key") is None
    assert lookup._remembered == {}
    with django_assert_num_queries(1):
        lookup.channel_for_key("probing-a-random-key")


def test_zero_seconds_turns_the_memory_off(make_sms_channel, settings, django_assert_num_queries):
    settings.SMS_CHANNEL_CACHE_SECONDS = 0
    key = SmsChannelConfig.objects.get(channel=make_sms_channel()).webhook_key
    lookup.channel_for_key(key)
    with django_assert_num_queries(1):
        lookup.channel_for_key(key)


def test_a_rotated_token_applies_to_the_next_webhook(sms_hooks: SmsHooks):
    assert sms_hooks.text("before").status_code == 200
    config = sms_hooks.config
    old_token = config.auth_token
    config.auth_token = "d" * 32
    config.save()
    form = sms_hooks.form("signed with the old token")
    assert sms_hooks.post(form, token=old_token).status_code == 403
    assert sms_hooks.post(sms_hooks.form("after"), token="d" * 32).status_code == 200
    assert sorted(Message.objects.values_list("body", flat=True)) == ["after", "before"]

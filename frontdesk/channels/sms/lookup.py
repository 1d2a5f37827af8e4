"""Which SMS channel a webhook is for: looked up by the URL's key, remembered briefly.

Every text and every delivery report starts by finding its channel, and a busy
number sends many of each per second while its configuration changes a few times a
year. So each process remembers what it found for `settings.SMS_CHANNEL_CACHE_SECONDS`
(default 5 s; 0 turns the memory off). Saving or deleting an SMS configuration or a
channel forgets everything this process remembered at once; other web processes see
the change within those seconds (a switched-off channel answers 410, a new auth
token is the only one accepted). Unknown keys are never remembered, so a channel
added a moment ago answers at once and probing random keys fills nothing.

What is handed out is shared between the requests of one process: callers read it
and never change it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from frontdesk.channels.sms.accounts import account_from_config
from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.connectors.sms.adapter import SmsConnector
from frontdesk.connectors.sms.providers import SmsAccount, SmsProvider, get_provider
from frontdesk.inbox.models import Channel

DEFAULT_SECONDS = 5.0
# A process serves a handful of SMS channels; this only bounds the worst case.
MAX_REMEMBERED = 1024


@dataclass(frozen=True)
class WebhookChannel:
    """A channel's configuration (with its channel and workspace loaded), the account
    record the adapter's calls take, and the adapter."""

    config: SmsChannelConfig
    account: SmsAccount
    connector: SmsConnector

    @property
    def provider(self) -> SmsProvider:
        """The provider the account is with (Twilio first)."""
        return get_provider(self.account.provider)


_CONNECTOR = SmsConnector()
_remembered: dict[str, tuple[float, WebhookChannel]] = {}
_lock = threading.Lock()


def _seconds() -> float:
    return float(getattr(settings, "SMS_CHANNEL_CACHE_SECONDS", DEFAULT_SECONDS))


def channel_for_key(key: str) -> WebhookChannel | None:
    """The channel whose webhooks carry `key`, or None when no channel has it."""
    now = time.monotonic()
    found = _remembered.get(key)
    if found is not None and found[0] > now:
        return found[1]
    config = (
        SmsChannelConfig.objects.select_related("channel__workspace")
        .filter(webhook_key=key)
        .first()
    )
    if config is None:
        _remembered.pop(key, None)
        return None
    entry = WebhookChannel(config=config, account=account_from_config(config), connector=_CONNECTOR)
    seconds = _seconds()
    if seconds > 0:
        with _lock:
            if len(_remembered) >= MAX_REMEMBERED:
                _remembered.clear()
            _remembered[key] = (now + seconds, entry)
    return entry


def forget() -> None:
    """Forget every remembered channel (a configuration or channel changed)."""
    with _lock:
        _remembered.clear()


def _changed(**_kwargs: object) -> None:
    forget()


for _model in (SmsChannelConfig, Channel):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"sms-lookup-{_model.__name__}-save")
    post_delete.connect(
        _changed, sender=_model, dispatch_uid=f"sms-lookup-{_model.__name__}-delete"
    )

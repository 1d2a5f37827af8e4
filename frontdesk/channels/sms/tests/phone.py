"""A phone texting an SMS channel over real HTTP: Twilio's signed webhooks to the live
server, Twilio's REST API on the loopback stand-in (`twilio_api`). The fixtures that
build one are in `webhooks.py` (a pytest plugin the test modules name)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpx
from django.urls import reverse

from frontdesk.channels.sms.models import SmsChannelConfig
from frontdesk.demo.twilio.standin import TwilioStandIn, post_signed
from frontdesk.inbox.models import Channel

CUSTOMER = "+15558675310"


@dataclass
class SmsHooks:
    """One SMS channel's webhooks on the live server, and the stand-in behind it."""

    standin: TwilioStandIn
    base_url: str
    channel: Channel

    @property
    def config(self) -> SmsChannelConfig:
        return SmsChannelConfig.objects.get(channel=self.channel)

    @property
    def inbound_url(self) -> str:
        return self.base_url + reverse("sms:inbound", kwargs={"key": self.config.webhook_key})

    @property
    def status_url(self) -> str:
        return self.base_url + reverse("sms:status", kwargs={"key": self.config.webhook_key})

    def form(
        self,
        body: str = "",
        *,
        from_: str = CUSTOMER,
        to: str | None = None,
        media: Iterable[tuple[str, bytes]] = (),
        messaging_service_sid: str | None = None,
    ) -> dict[str, str]:
        """The form Twilio would post for a text from `from_`."""
        config = self.config
        return self.standin.inbound_message(
            config.account_sid,
            from_=from_,
            to=to or config.phone_number,
            body=body,
            media=media,
            messaging_service_sid=messaging_service_sid,
        )

    def post(
        self, form: Mapping[str, str], *, signed_url: str | None = None, token: str | None = None
    ) -> httpx.Response:
        """POST a form to the inbound webhook, signed as Twilio signs it."""
        return post_signed(
            self.inbound_url, form, token or self.config.auth_token, signed_url=signed_url
        )

    def text(self, body: str = "", **options) -> httpx.Response:
        """A customer texts the channel; returns the webhook's HTTP response."""
        return self.post(self.form(body, **options))

"""SMS demo data for Riverside: the "Main desk texts" number and three text conversations.

The channel has a number reserved for fiction (+1 555-010-4477), credentials that are
plainly fake (derived from the workspace slug), the HOURS and ADDRESS keywords, a
help text, and acknowledgements naming Maya, who is on the front desk. Its texts go
through the same paths as real ones: each customer text is the form Twilio would
POST (built by the phone simulator), parsed by the Twilio provider, stored by intake
and answered by the SMS channel's own follow-up (acknowledgement, keyword); each
reply is sent by `deliver_message` through the adapter and the twilio package's REST
client, to a stand-in of Twilio's API on a loopback port that lives only while the
demo loads. The phone simulator's history (`SimulatedText`) is recorded alongside,
so picking Kathy's number on the demo phone shows her conversation.

Idempotent like the inbox's scenes: each scene's first text has a stable MessageSid;
a scene whose first text is stored is skipped whole. Registered as a step of
`frontdesk.demo.core.load_demo` by `register()`, which the SMS app calls at start-up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Max, Min
from django.test.utils import override_settings
from django.utils import timezone

from frontdesk.channels.sms.accounts import account_from_config
from frontdesk.channels.sms.models import SmsChannelConfig, SmsKeyword
from frontdesk.connectors.base import InboundRequest
from frontdesk.connectors.sms.providers import get_provider
from frontdesk.core.models import Membership, Workspace
from frontdesk.demo.core import DEMO_STEPS
from frontdesk.demo.inbox import DANIEL, MAYA, Scene
from frontdesk.demo.models import SimulatedText, TextDirection, TextStatus
from frontdesk.demo.phone import actions as simulator
from frontdesk.demo.phone import twilio_view as standin
from frontdesk.demo.twilio.server import TwilioServer
from frontdesk.inbox import actions
from frontdesk.inbox.actions.conversations import inbox_settings_for
from frontdesk.inbox.intake import process_inbound_event, store_inbound_event
from frontdesk.inbox.models import (
    Channel,
    ConversationStatus,
    InboundEvent,
    Message,
    MessageKind,
)
from frontdesk.inbox.models.workspace import default_business_hours

STEP_NAME = "sms"
CHANNEL_NAME = "Main desk texts"
DEMO_NUMBER = "+15550104477"  # 555-01xx: reserved for fiction
# Mon–Thu 9–8, Fri–Sat 9–5, Sun 1–5, as the HOURS keyword says.
LIBRARY_HOURS = {
    **{day: [["09:00", "20:00"]] for day in ("mon", "tue", "wed", "thu")},
    **{day: [["09:00", "17:00"]] for day in ("fri", "sat")},
    "sun": [["13:00", "17:00"]],
}
KEYWORDS = {
    "HOURS": (
        "Riverside Public Library hours: Mon–Thu 9am–8pm, Fri–Sat 9am–5pm, Sun 1–5pm. "
        "The book drop is open 24/7."
    ),
    "ADDRESS": (
        "Riverside Public Library, 120 River Street (corner of Elm). Free parking behind "
        "the building; buses 4 and 12 stop out front."
    ),
}
HELP_TEXT = (
    "{workspace}: text us any question and a librarian will answer, usually within the "
    "hour when we're open. Text HOURS or ADDRESS for quick answers. Reply STOP to stop "
    "texts, START to get them again."
)


def register() -> None:
    """Add the SMS step to the demo loader, once however often it is called."""
    if all(name != STEP_NAME for name, _ in DEMO_STEPS):
        DEMO_STEPS.append((STEP_NAME, load_sms_demo))


def fake_credentials(slug: str) -> tuple[str, str]:
    """An Account SID and auth token that look like Twilio's and are plainly not real:
    sixteen zeros, then hex derived from the workspace slug."""
    digest = hashlib.sha256(f"frontdesk-demo:{slug}".encode()).hexdigest()
    return "AC" + "0" * 16 + digest[:16], "0" * 16 + digest[16:32]


def demo_sid(key: str, count: int) -> str:
    return "SM" + hashlib.sha256(f"demo:{key}:{count}".encode()).hexdigest()[:32]


def sms_channel_for(workspace: Workspace, staff: dict[str, Membership]) -> SmsChannelConfig:
    """The demo library's SMS channel and its configuration, made once."""
    channel = Channel.objects.for_workspace(workspace).filter(kind="sms").first()
    if channel is None:
        channel = Channel.objects.create(
            workspace=workspace,
            kind="sms",
            name=CHANNEL_NAME,
            settings={"threading_window_hours": 24, "auto_acknowledge": True},
        )
    config = SmsChannelConfig.objects.filter(channel=channel).first()
    if config is None:
        account_sid, auth_token = fake_credentials(workspace.slug)
        config = SmsChannelConfig.objects.create(
            workspace=workspace,
            channel=channel,
            phone_number=DEMO_NUMBER,
            account_sid=account_sid,
            auth_token=auth_token,
            help_text=HELP_TEXT,
            on_duty=staff.get(MAYA),
        )
    for word, reply in KEYWORDS.items():
        SmsKeyword.objects.get_or_create(
            workspace=workspace, channel=channel, keyword=word, defaults={"reply": reply}
        )
    return config


def _library_policy(workspace: Workspace) -> None:
    """Texts signed with the author's first name; the library's real opening hours
    (only where the hours are still the defaults: a changed demo keeps its own)."""
    policy = inbox_settings_for(workspace)
    policy.sms_sign_with_first_name = True
    if policy.business_hours == default_business_hours():
        policy.business_hours = LIBRARY_HOURS
    policy.save(update_fields=["sms_sign_with_first_name", "business_hours"])


@contextlib.contextmanager
def _carrier(config: SmsChannelConfig) -> Iterator[TwilioServer]:
    """A stand-in of Twilio on a loopback port, holding the channel's account, with
    the adapter aimed at it while the demo loads (it touches no database: the loader
    holds a transaction)."""
    with TwilioServer() as server:
        server.standin.add_account(config.account_sid, config.auth_token)
        urls = {**settings.CONNECTOR_BASE_URLS, "twilio": server.url}
        with override_settings(CONNECTOR_BASE_URLS=urls, SMS_PART_RETRY_PAUSE_SECONDS=0):
            yield server


class TextScene(Scene):
    """A conversation by text: the customer's texts arrive as Twilio's webhook form,
    replies leave through the adapter to the loopback `carrier`."""

    def __init__(self, key: str, *, config: SmsChannelConfig, carrier: TwilioServer, **kwargs):
        super().__init__(key, channel=config.channel, **kwargs)
        self.config = config
        self.carrier = carrier
        # (SimulatedText or Message id, when it happened in the story)
        self.texts: list[tuple[int, datetime]] = []
        self.delivered: list[tuple[int, datetime]] = []

    @property
    def is_loaded(self) -> bool:
        return InboundEvent.objects.filter(
            channel=self.channel, provider_message_id=demo_sid(self.key, 1)
        ).exists()

    def text(self, hours: float, body: str, *, phone: str) -> None:
        """The customer texts; the channel answers by itself if it would (ack, keyword)."""
        self.count += 1
        sid = demo_sid(self.key, self.count)
        form = simulator.inbound_form(self.config, phone=phone, body=body, sid=sid)
        request = InboundRequest(
            method="POST",
            url=simulator.webhook_url(self.config),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode(form).encode(),
            form=form,
        )
        event = get_provider(self.config.provider).parse_inbound(
            account_from_config(self.config), request
        )
        row, _ = store_inbound_event(
            self.channel, dataclasses.replace(event, received_at=self.at(hours))
        )
        process_inbound_event(row.pk)
        message = Message.objects.select_related("conversation").get(inbound_event=row)
        self.conversation = message.conversation
        text = SimulatedText.objects.create(
            workspace=self.workspace,
            channel=self.channel,
            direction=TextDirection.TO_LIBRARY,
            phone=phone,
            channel_number=self.config.phone_number,
            body=body,
            sid=sid,
            status=TextStatus.DELIVERED,
        )
        self.texts.append((text.pk, self.at(hours)))
        # Intake ran the channel's reaction (keyword reply, acknowledgement) with the
        # message; deliver what it queued now, at the demo's moment.
        answer = Message.objects.filter(automatic_for=message).first()
        if answer is not None and answer.kind == MessageKind.REPLY:
            self._deliver(answer, self.at(hours) + timedelta(seconds=3), after=timedelta(0))

    def reply(self, hours: float, by: str, body: str) -> None:
        message = actions.send_reply(self._current(), body=body, by=self.staff[by])
        self._deliver(message, self.at(hours))

    def _deliver(
        self, message: Message, moment: datetime, *, after: timedelta = timedelta(seconds=20)
    ) -> None:
        known = len(self.carrier.standin.messages)
        actions.deliver_message(message.pk)
        message.refresh_from_db()
        for sent in self.carrier.standin.messages[known:]:
            text = standin.record_sent_text(self.config, sent, status=TextStatus.DELIVERED)
            self.texts.append((text.pk, moment + after))
        if message.provider_message_id:
            # The delivery report Twilio would send once the handset has it.
            actions.record_delivery_status(
                self.workspace, provider_message_id=message.provider_message_id, status="delivered"
            )
        self.moments.append((message, moment))
        self.delivered.append((message.pk, moment + after))

    def settle(self) -> None:
        super().settle()
        for pk, moment in self.delivered:
            Message.objects.filter(pk=pk).update(sent_at=moment, delivered_at=moment)
        for pk, moment in self.texts:
            SimulatedText.objects.filter(pk=pk).update(created_at=moment)
        # An automatic answer is nobody's response: the clocks count people only.
        conversation = self._current()
        timeline = Message.objects.filter(conversation=conversation)
        people = timeline.filter(kind=MessageKind.REPLY, automatic="")
        last_person = people.aggregate(at=Max("created_at"))["at"]
        conversation.first_response_at = people.aggregate(at=Min("created_at"))["at"]
        waiting = timeline.filter(kind=MessageKind.INCOMING)
        if last_person:
            waiting = waiting.filter(created_at__gt=last_person)
        conversation.waiting_since = (
            None
            if conversation.status == ConversationStatus.RESOLVED
            else waiting.aggregate(at=Min("created_at"))["at"]
        )
        conversation.save(update_fields=["first_response_at", "waiting_since"])


def load_sms_demo(workspace: Workspace, staff: dict[str, Membership]) -> None:
    """Riverside's SMS channel and text conversations (skipping any already there)."""
    config = sms_channel_for(workspace, staff)
    _library_policy(workspace)
    now = timezone.now()
    with _carrier(config) as carrier:
        for key, story in STORIES.items():
            scene = TextScene(
                key, config=config, carrier=carrier, workspace=workspace, staff=staff, now=now
            )
            if scene.is_loaded:
                continue
            story(scene)
            scene.settle()


KATHY = "+15550100133"
HIRO = "+15550100130"
ANA = "+15550100123"


def homebound_renewal(scene: TextScene) -> None:
    scene.text(
        31,
        "Hi it's Kathy O'Brien. Could you renew the 3 books from Thursday's delivery? "
        "I'm only halfway through the Louise Penny.",
        phone=KATHY,
    )
    scene.assign(30.5, to=MAYA, by=MAYA)
    scene.reply(
        30,
        MAYA,
        "Hi Kathy! All three are renewed until the 28th, so no rush on Three Pines. "
        "Want me to add the next one in the series to Thursday's bag?",
    )
    scene.text(29, "Oh yes please, that would be lovely. Thank you dear!", phone=KATHY)
    scene.reply(28.5, MAYA, "Done: “A Fatal Grace” will be in Thursday's delivery. Enjoy!")
    scene.resolve(28.4, by=MAYA)


def wifi_down(scene: TextScene) -> None:
    scene.text(
        6,
        "is the wifi down? laptop connects to RiversideLib-Public but no internet",
        phone=HIRO,
    )
    scene.assign(5.8, to=DANIEL, by=MAYA)
    scene.reply(
        5.7,
        DANIEL,
        "Hi Hiro, thanks for telling us: the router in the reading room restarted. It "
        "should be back in a minute. If not, RiversideLib-Guest works too.",
    )
    scene.text(5.5, "works now, thanks!", phone=HIRO)
    scene.resolve(5.4, by=DANIEL)


def passport_photos(scene: TextScene) -> None:
    scene.text(
        1.2,
        "Do you still do passport photos? How much are they and do I need an appointment?",
        phone=ANA,
    )


# Scene keys are the demo rows' identity (their MessageSids): never rename one.
STORIES = {
    "sms-homebound-renewal": homebound_renewal,
    "sms-wifi": wifi_down,
    "sms-passport-photos": passport_photos,
}

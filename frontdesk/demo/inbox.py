"""Inbox demo data for Riverside: ten conversations that make the inbox look lived-in.

Every customer message is a web form submission fed through the real intake path
(`store_inbound_event`, then `process_inbound_event`), and every reply, note,
assignment, tag, snooze and resolution goes through `frontdesk.inbox.actions`, so
the rows are exactly what the product itself would have made. Two things differ:
- replies are delivered at once through the web form adapter into Django's dummy
  email backend: the demo's customers are fictional, so nothing leaves the machine;
- actions stamp "now", so each scene ends by moving its replies, notes and
  notifications to their place in the story (spread over the last three days) and
  recomputing the conversation's clocks from its messages.

Idempotent: each scene's first message has a stable provider id ("demo:<scene>:1");
a scene whose first message is already stored is skipped whole. Only channels whose
connector exists are used (the web form; SMS and email come with their issues).
Registered as a step of `frontdesk.demo.core.load_demo` by `register()`, which the
inbox app calls when Django starts.
"""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Max, Min
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image, ImageDraw

from frontdesk.channels.webform.actions import FormSubmission, form_event, webform_channel_for
from frontdesk.connectors import base
from frontdesk.core.models import Membership, Workspace
from frontdesk.demo.core import DEMO_STEPS
from frontdesk.inbox import actions
from frontdesk.inbox.intake import process_inbound_event, store_inbound_event
from frontdesk.inbox.models import (
    Channel,
    Conversation,
    ConversationStatus,
    InboundEvent,
    Message,
    MessageKind,
    Notification,
)

STEP_NAME = "inbox"
DUMMY_EMAIL = "django.core.mail.backends.dummy.EmailBackend"

MAYA = "maya@riverside-library.example"
DANIEL = "daniel@riverside-library.example"
PRIYA = "priya@riverside-library.example"
SAM = "sam@riverside-library.example"


def register() -> None:
    """Add the inbox step to the demo loader, once however often it is called."""
    if all(name != STEP_NAME for name, _ in DEMO_STEPS):
        DEMO_STEPS.append((STEP_NAME, load_inbox_demo))


class Scene:
    """One conversation told in order; `hours` are hours before the demo is loaded."""

    def __init__(
        self,
        key: str,
        *,
        workspace: Workspace,
        channel: Channel,
        staff: dict[str, Membership],
        now: datetime,
    ) -> None:
        self.key = key
        self.workspace = workspace
        self.channel = channel
        self.staff = staff
        self.now = now
        self.conversation: Conversation | None = None
        self.count = 0
        self.moments: list[tuple[Message, datetime]] = []
        self.resolved_at: datetime | None = None

    @property
    def is_loaded(self) -> bool:
        return InboundEvent.objects.filter(
            channel=self.channel, provider_message_id=f"demo:{self.key}:1"
        ).exists()

    def at(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)

    def customer(
        self,
        hours: float,
        body: str,
        *,
        name: str,
        email: str = "",
        phone: str = "",
        photo: base.InboundAttachment | None = None,
    ) -> None:
        self.count += 1
        submission = FormSubmission(name=name, email=email, phone=phone, message=body, photo=photo)
        event = form_event(
            submission,
            submission_id=f"demo:{self.key}:{self.count}",
            received_at=self.at(hours),
            responder_id=None,
        )
        row, _ = store_inbound_event(self.channel, event)
        # Processed now rather than by the worker, so the demo is whole when loaded;
        # the task intake scheduled for after commit then finds nothing to do.
        process_inbound_event(row.pk)
        self.conversation = Conversation.objects.get(messages__inbound_event=row)

    def _current(self) -> Conversation:
        assert self.conversation is not None, "a scene starts with the customer"
        return Conversation.objects.select_related("workspace", "channel", "contact").get(
            pk=self.conversation.pk
        )

    def reply(self, hours: float, by: str, body: str) -> None:
        message = actions.send_reply(self._current(), body=body, by=self.staff[by])
        with override_settings(EMAIL_BACKEND=DUMMY_EMAIL):
            actions.deliver_message(message.pk)
        self.moments.append((message, self.at(hours)))

    def note(self, hours: float, by: str, body: str) -> None:
        message = actions.add_note(self._current(), body=body, by=self.staff[by])
        self.moments.append((message, self.at(hours)))

    def assign(self, hours: float, to: str, by: str) -> None:
        conversation = self._current()
        actions.assign_conversation(conversation, assignee=self.staff[to], by=self.staff[by])
        Notification.objects.filter(
            conversation=conversation, kind="assigned", message__isnull=True
        ).update(created_at=self.at(hours))

    def tag(self, *names: str, by: str = MAYA) -> None:
        conversation = self._current()
        for name in names:
            actions.add_tag(conversation, name=name, by=self.staff[by])

    def priority(self, value: str, by: str) -> None:
        actions.set_priority(self._current(), priority=value, by=self.staff[by])

    def pending(self, by: str) -> None:
        actions.mark_pending(self._current(), by=self.staff[by])

    def snooze(self, until: datetime, by: str) -> None:
        actions.snooze_conversation(self._current(), until=until, by=self.staff[by])

    def resolve(self, hours: float, by: str) -> None:
        actions.resolve_conversation(self._current(), by=self.staff[by])
        self.resolved_at = self.at(hours)

    def settle(self) -> None:
        """Put replies, notes and their notifications at their time in the story, and
        recompute the conversation's clocks from its messages."""
        for message, moment in self.moments:
            # A reply leaves a few seconds after it is written.
            sent = moment + timedelta(seconds=20) if message.kind == MessageKind.REPLY else None
            Message.objects.filter(pk=message.pk).update(created_at=moment, sent_at=sent)
            Notification.objects.filter(message=message).update(created_at=moment)
        conversation = self._current()
        timeline = Message.objects.filter(conversation=conversation)
        incoming = timeline.filter(kind=MessageKind.INCOMING)
        replies = timeline.filter(kind=MessageKind.REPLY)
        last_reply = replies.aggregate(at=Max("created_at"))["at"]
        unanswered = incoming.filter(created_at__gt=last_reply) if last_reply else incoming
        conversation.last_customer_message_at = incoming.aggregate(at=Max("created_at"))["at"]
        conversation.last_message_at = max(
            moment for moment in (conversation.last_customer_message_at, last_reply) if moment
        )
        conversation.first_response_at = replies.aggregate(at=Min("created_at"))["at"]
        conversation.waiting_since = (
            None
            if conversation.status == ConversationStatus.RESOLVED
            else unanswered.aggregate(at=Min("created_at"))["at"]
        )
        conversation.resolved_at = self.resolved_at
        conversation.save(
            update_fields=[
                "last_customer_message_at",
                "last_message_at",
                "first_response_at",
                "waiting_since",
                "resolved_at",
            ]
        )


def _printer_photo() -> base.InboundAttachment:
    """A small picture of a printer's error screen, drawn here (no files shipped)."""
    image = Image.new("RGB", (480, 320), (233, 230, 222))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((60, 60, 420, 260), radius=18, fill=(38, 44, 42))
    draw.rectangle((90, 95, 390, 225), fill=(196, 64, 52))
    draw.text((120, 130), "ERROR 50.4  PAPER JAM", fill=(255, 255, 255))
    draw.text((120, 165), "Open tray 2 and remove paper", fill=(255, 236, 220))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    return base.InboundAttachment("printer-error.png", "image/png", len(data), data=data)


def _next_friday_morning(workspace: Workspace, now: datetime) -> datetime:
    zone = workspace.tzinfo
    local = now.astimezone(zone)
    days = (4 - local.weekday()) % 7 or 7  # the next Friday, never today
    return datetime.combine(local.date() + timedelta(days=days), time(9, 0), tzinfo=zone)


def load_inbox_demo(workspace: Workspace, staff: dict[str, Membership]) -> None:
    """Add Riverside's demo conversations (skipping any already there)."""
    channel = webform_channel_for(workspace)
    now = timezone.now()
    for key, story in STORIES.items():
        scene = Scene(key, workspace=workspace, channel=channel, staff=staff, now=now)
        if scene.is_loaded:
            continue
        story(scene)
        scene.settle()


def hold_in_transit(scene: Scene) -> None:
    ana: dict[str, Any] = {"name": "Ana Lopez", "email": "ana.lopez@example.org"}
    scene.customer(
        70,
        "Hi! The app says my hold on “The Women” by Kristin Hannah has been “in transit” "
        "for 8 days. Is it lost? I'm next on the list and my book club meets on the 14th.",
        **ana,
    )
    scene.tag("holds")
    scene.assign(69, to=DANIEL, by=MAYA)
    scene.reply(
        68,
        DANIEL,
        "Hi Ana, good news: it was sitting in a delivery tote from the Eastside branch. "
        "It's checked in now and waiting for you on the holds shelf under LOPEZ until "
        "next Saturday. Enjoy the book club!",
    )
    scene.customer(66, "Picked it up on my lunch break. Thank you so much!", **ana)
    scene.resolve(65, by=DANIEL)


def broken_printer(scene: Scene) -> None:
    david: dict[str, Any] = {"name": "David Kim", "email": "dkim@example.com"}
    scene.customer(
        30,
        "The colour printer on the 2nd floor is jammed again, and it charged my card "
        "$3.50 for a job that never came out. Photo of the error screen attached.",
        photo=_printer_photo(),
        **david,
    )
    scene.tag("printing")
    scene.assign(29.5, to=DANIEL, by=MAYA)
    scene.note(
        29,
        MAYA,
        "@Daniel Reyes that's the third jam this week. Can you call the vendor? Let's "
        "refund David's $3.50 either way.",
    )
    scene.reply(
        27,
        DANIEL,
        "Hi David, sorry about that! I've refunded the $3.50 to your card (it can take "
        "2–3 days to show). The technician comes Thursday morning; until then the "
        "black-and-white printer by the reference desk works fine.",
    )
    scene.customer(
        5,
        "Thanks. Is the colour one fixed yet? I need to print a 40-page report tomorrow.",
        **david,
    )


def fine_dispute(scene: Scene) -> None:
    isabel: dict[str, Any] = {"name": "Isabel Santos", "email": "isabel.santos@example.net"}
    scene.customer(
        20,
        "I returned “Dune” and two DVDs in the outside book drop on the 3rd, BEFORE the due "
        "date, and now my account shows $12 in overdue fines and says I can't borrow "
        "anything. This is the second time this has happened. I'm honestly fed up.",
        **isabel,
    )
    scene.tag("fines")
    scene.priority("high", by=DANIEL)
    scene.assign(19.5, to=MAYA, by=DANIEL)
    scene.note(
        19,
        DANIEL,
        "@Priya Shah wasn't the book drop jammed around the 3rd? Can you check the "
        "check-in log before Maya answers?",
    )
    scene.note(
        18,
        PRIYA,
        "@Maya Patel yes: the drop was jammed from the 2nd to the 4th and everything in it "
        "was checked in late. Safe to waive.",
    )
    scene.customer(
        3,
        "It's been almost a day and nobody has answered. I'd like these fines removed today, "
        "please.",
        **isabel,
    )


def study_room_booking(scene: Scene) -> None:
    scene.customer(
        50,
        "Could the teen coding club book Study Room B on Saturdays 2–4pm in March? We'll "
        "have about 8 students and need the wall screen.",
        name="Chloe Nguyen",
        email="chloe.nguyen@example.net",
    )
    scene.tag("events")
    scene.assign(49, to=PRIYA, by=MAYA)
    scene.note(
        48,
        SAM,
        "@Priya Shah Room B is free every Saturday in March except the 15th (author visit). "
        "Room C has the same screen that day.",
    )
    scene.reply(
        47,
        PRIYA,
        "Hi Chloe! Room B is yours on Saturdays 2–4pm in March, except the 15th, when you'll "
        "be in Room C (same screen, just down the hall). Could you let me know if you need "
        "the HDMI adapters too?",
    )
    scene.pending(by=PRIYA)


def story_time_praise(scene: Scene) -> None:
    scene.customer(
        26,
        "Just wanted to say Priya's story time on Tuesday was magical. My twins haven't "
        "stopped singing the frog song since! Thank you for making the library such a warm "
        "place.",
        name="Grace Okoye",
        email="grace.okoye@example.com",
    )
    scene.tag("events")
    scene.assign(24.5, to=PRIYA, by=PRIYA)
    scene.reply(
        24,
        PRIYA,
        "Grace, this made our whole week! The twins were wonderful frog singers. See you "
        "next Tuesday at 10:30: it's dinosaurs.",
    )


def lost_library_card(scene: Scene) -> None:
    scene.customer(
        2,
        "Hi, I lost my library card yesterday, probably on the bus. Can someone block it? "
        "And can I still borrow with my driver's license today? The card ends in 4471.",
        name="Ben Carter",
        phone="+15550100124",
    )
    scene.note(
        1.5,
        MAYA,
        "I've blocked the card ending 4471. Ben left only a phone number: @Daniel Reyes "
        "could you call him about a replacement?",
    )


def museum_pass_hold(scene: Scene) -> None:
    scene.customer(
        40,
        "Can I put a hold on the Science Museum family pass for next Saturday? The website "
        "says all the passes are checked out.",
        name="Farid Haddad",
        email="farid@example.org",
    )
    scene.tag("holds")
    scene.assign(38.5, to=DANIEL, by=DANIEL)
    scene.reply(
        38,
        DANIEL,
        "Hi Farid! All three passes are out right now, but two are due back Friday. You're "
        "first on the list, and I'll confirm on Friday morning whether one is back in time.",
    )
    scene.snooze(_next_friday_morning(scene.workspace, scene.now), by=DANIEL)


def makerspace_printer(scene: Scene) -> None:
    scene.customer(
        9,
        "Is the makerspace 3D printer working again? I'd like to print a replacement part "
        "for my bike. Do I need to book a slot or can I walk in?",
        name="Jamal Wright",
        email="jamal.w@example.org",
    )
    scene.tag("printing")


def community_room(scene: Scene) -> None:
    leo: dict[str, Any] = {"name": "Leo Martin", "email": "leo.martin@example.com"}
    scene.customer(
        60,
        "Hello, does the community room have a projector and a microphone? Our food pantry "
        "would like to book it for a volunteer meeting on the 20th, 6–8pm, about 40 people.",
        **leo,
    )
    scene.tag("events")
    scene.assign(59, to=DANIEL, by=MAYA)
    scene.reply(
        57,
        DANIEL,
        "Hi Leo, yes: the community room seats 60 and has a ceiling projector, a screen and "
        "two wireless mics, and the 20th from 6 to 8 is free. Bookings for nonprofits are "
        "free of charge. Could you reply with your organisation's name and a contact phone?",
    )
    scene.customer(
        12,
        "Great! It's the Riverside Community Pantry, and the contact is me, (555) 010-0139. "
        "Is it OK if we bring coffee?",
        **leo,
    )


def large_print_hold(scene: Scene) -> None:
    scene.customer(
        1,
        "Could you hold the large-print copy of “Lessons in Chemistry” for my mother, Rosa "
        "Rossi? She'll pick it up on Thursday.",
        name="Elena Rossi",
        phone="+15550100127",
    )
    scene.tag("holds")


# Scene keys are the demo rows' identity (their provider ids): never rename one.
STORIES = {
    "hold-in-transit": hold_in_transit,
    "broken-printer": broken_printer,
    "fine-dispute": fine_dispute,
    "study-room": study_room_booking,
    "story-time": story_time_praise,
    "lost-card": lost_library_card,
    "museum-pass": museum_pass_hold,
    "makerspace": makerspace_printer,
    "community-room": community_room,
    "large-print": large_print_hold,
}

"""Email demo data for Riverside: a front-desk mailbox and two email conversations.

The mailbox is `desk@riverside-library.example`, received by the built-in SMTP
receiver (`frontdesk smtpd`) and answered through this server's mail settings, which
in demo mode write each mail as a file in FRONTDESK_EMAIL_DIR (see the README). The
patrons' mails are real MIME, written here the way their mail clients would (one
multipart/alternative from Gmail with a quoted history, one plain text with a CC),
and go through the very path real mail takes: `receive_raw` stores the bytes,
intake parses and threads them. Replies go out through the email adapter (into the
dummy backend while loading: the patrons are fictional), and the patrons' answers
carry In-Reply-To / References to those replies, so the demo shows threading by
headers and a CC'd participant kept on the thread.

Idempotent: a scene whose first mail is stored already is skipped whole. Registered
as a step of `frontdesk.demo.core.load_demo` by `register()`.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from django.utils import timezone

from frontdesk.channels.email.actions import create_email_channel
from frontdesk.channels.email.models import EmailChannelConfig
from frontdesk.channels.email.receive import receive_raw
from frontdesk.core.models import Membership, Workspace
from frontdesk.demo.core import DEMO_STEPS
from frontdesk.demo.inbox import DANIEL, MAYA, PRIYA, Scene
from frontdesk.inbox.intake import process_inbound_event
from frontdesk.inbox.models import Conversation, InboundEvent, Message, MessageKind

STEP_NAME = "email"
DESK = "desk@riverside-library.example"
CHANNEL_NAME = "Front desk email"


def register() -> None:
    """Add the email step to the demo loader, once however often it is called."""
    if all(name != STEP_NAME for name, _ in DEMO_STEPS):
        DEMO_STEPS.append((STEP_NAME, load_email_demo))


def email_channel_for(workspace: Workspace, staff: dict[str, Membership]) -> EmailChannelConfig:
    """Riverside's front-desk mailbox (made once, through the setup action)."""
    config = EmailChannelConfig.objects.filter(address=DESK).first()
    if config is not None:
        return config
    channel = create_email_channel(
        workspace,
        name=CHANNEL_NAME,
        setup={
            "address": DESK,
            "display_name": "Riverside Library",
            "plus_addressing": True,
            "inbound_provider": "smtpd",
            "outbound_backend": "default",
        },
        by=staff[MAYA],
    )
    return EmailChannelConfig.objects.get(channel=channel)


class MailScene(Scene):
    """A conversation by email: each patron mail is raw MIME through `receive_raw`."""

    @property
    def is_loaded(self) -> bool:
        return InboundEvent.objects.filter(
            channel=self.channel, provider_message_id__startswith=self.message_id(1)
        ).exists()

    def message_id(self, count: int) -> str:
        return f"<demo.{self.key}.{count}@mail.example.org>"

    def last_reply_id(self) -> str:
        reply = (
            Message.objects.filter(conversation=self.conversation, kind=MessageKind.REPLY)
            .exclude(provider_message_id__isnull=True)
            .order_by("-id")
            .first()
        )
        return reply.provider_message_id or "" if reply else ""

    def mail(
        self,
        hours: float,
        *,
        sender: tuple[str, str],
        subject: str,
        text: str,
        html: str = "",
        cc: tuple[str, str] | None = None,
        answering: bool = False,
        mailer: str = "",
    ) -> None:
        """The patron's mail arrives `hours` ago (answering: the staff's last reply)."""
        self.count += 1
        message = EmailMessage()
        message["From"] = formataddr(sender)
        message["To"] = formataddr(("Riverside Public Library", DESK))
        if cc:
            message["Cc"] = formataddr(cc)
        message["Subject"] = subject
        message["Date"] = format_datetime(self.at(hours))
        message["Message-ID"] = self.message_id(self.count)
        if answering:
            reply_id = self.last_reply_id()
            message["In-Reply-To"] = reply_id
            message["References"] = " ".join([self.message_id(1), reply_id])
        if mailer:
            message["X-Mailer"] = mailer
        message.set_content(text)
        if html:
            message.add_alternative(html, subtype="html")
        stored = receive_raw(self.channel, message.as_bytes(), via="smtpd")
        InboundEvent.objects.filter(pk=stored.event_id).update(received_at=self.at(hours))
        process_inbound_event(stored.event_id)
        Message.objects.filter(inbound_event_id=stored.event_id).update(created_at=self.at(hours))
        self.conversation = Conversation.objects.get(messages__inbound_event_id=stored.event_id)


def load_email_demo(workspace: Workspace, staff: dict[str, Membership]) -> None:
    """Riverside's email channel and its conversations (skipping any already there)."""
    config = email_channel_for(workspace, staff)
    now = timezone.now()
    for key, story in STORIES.items():
        scene = MailScene(key, workspace=workspace, channel=config.channel, staff=staff, now=now)
        if scene.is_loaded:
            continue
        story(scene)
        scene.settle()


THEO: dict[str, Any] = {"sender": ("Theo Baptiste", "theo.baptiste@example.org")}


def interlibrary_loan(scene: MailScene) -> None:
    scene.mail(
        54,
        subject="Interlibrary loan: a 1962 thesis on river ecology",
        text=(
            "Hello,\n\n"
            "I'm researching the history of the Riverside wetlands and need a copy of\n"
            "“Seasonal flooding and marsh succession on the lower Riverside” (M. Alvarez,\n"
            "1962, MSc thesis, State University). Our catalogue doesn't have it. Can you\n"
            "request it through interlibrary loan? My card number ends in 2290.\n\n"
            "Many thanks,\nTheo\n"
        ),
        html=(
            '<div dir="ltr"><p>Hello,</p><p>I\'m researching the history of the Riverside '
            "wetlands and need a copy of <i>“Seasonal flooding and marsh succession on the "
            "lower Riverside”</i> (M. Alvarez, 1962, MSc thesis, State University). Our "
            "catalogue doesn't have it. Can you request it through interlibrary loan? My "
            "card number ends in 2290.</p><p>Many thanks,<br>Theo</p></div>"
        ),
        mailer="Gmail",
        **THEO,
    )
    scene.tag("holds")
    scene.assign(53, to=PRIYA, by=MAYA)
    scene.reply(
        50,
        PRIYA,
        "Hi Theo,\n\nI've requested it from the State University library. Theses usually "
        "come as a reading-room copy, so you'd read it here at the reference desk; it "
        "normally takes 7–10 days. I'll write as soon as it arrives.",
    )
    scene.mail(
        8,
        subject="Re: Interlibrary loan: a 1962 thesis on river ecology",
        text=(
            "Reading-room only is fine. Could I also get scans of the maps in the appendix,\n"
            "if the lending library allows it?\n\n"
            "Theo\n\n"
            "On Tue, Priya Shah via Riverside Library <desk@riverside-library.example> wrote:\n"
            "> Hi Theo,\n"
            ">\n"
            "> I've requested it from the State University library. Theses usually come as\n"
            "> a reading-room copy, so you'd read it here at the reference desk.\n"
        ),
        html=(
            '<div dir="ltr">Reading-room only is fine. Could I also get scans of the maps in '
            "the appendix, if the lending library allows it?<div><br></div><div>Theo</div>"
            '</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, '
            "Priya Shah via Riverside Library &lt;desk@riverside-library.example&gt; wrote:"
            '<br></div><blockquote class="gmail_quote">Hi Theo,<br><br>I\'ve requested it '
            "from the State University library. Theses usually come as a reading-room copy, "
            "so you'd read it here at the reference desk.</blockquote></div>"
        ),
        answering=True,
        mailer="Gmail",
        **THEO,
    )


def book_donation(scene: MailScene) -> None:
    margaret = ("Margaret Ellison", "m.ellison@example.net")
    scene.mail(
        30,
        sender=margaret,
        cc=("Robert Ellison", "rob.ellison@example.net"),
        subject="Donating my late father's books",
        text=(
            "Good morning,\n\n"
            "We're clearing my father's house and there are about twelve boxes of books:\n"
            "mostly history and natural science, some first editions, and a full set of\n"
            "National Geographic from 1971 to 1998. Does the library accept donations like\n"
            "this, and could someone pick them up? My husband Rob (copied) will be at the\n"
            "house on weekdays.\n\n"
            "Margaret Ellison\n"
        ),
    )
    scene.assign(29, to=DANIEL, by=MAYA)
    scene.note(
        28.5,
        DANIEL,
        "@Maya Patel the Friends of the Library book sale takes these; they pick up on "
        "Wednesdays. The magazines they can't take.",
    )
    scene.reply(
        28,
        DANIEL,
        "Dear Margaret,\n\nThank you for thinking of us, and I'm sorry about your father. "
        "The Friends of the Library run our book sale and collect donations on Wednesdays; "
        "the first editions we'd love to look at for the local history room. We can't take "
        "magazines, I'm afraid. Would next Wednesday morning suit Rob?",
    )
    scene.mail(
        4,
        sender=("Robert Ellison", "rob.ellison@example.net"),
        subject="Re: Donating my late father's books",
        text=(
            "Wednesday morning works, any time after 9. The address is 14 Alder Lane.\n"
            "There's parking in the driveway.\n\n"
            "Rob\n"
        ),
        answering=True,
    )


# Scene keys are the demo rows' identity (their Message-IDs): never rename one.
STORIES = {
    "interlibrary-loan": interlibrary_loan,
    "book-donation": book_donation,
}

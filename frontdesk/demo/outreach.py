"""Outreach demo data: sender identities and ready-made templates, each written as
a person and previewable with a real demo contact.

- Maya Patel, as the library's director, signs the welcome message and the
  "we changed this because of your feedback" note;
- Priya Shah, a branch librarian, signs the hold-ready notices (email and text);
- Daniel Reyes signs the overdue notice and the small newsletter;
- Sam Okafor signs the event reminder.

Two topics (a double opt-in newsletter, events), a few patrons' choices of them
(three confirmed the newsletter, one has not yet) and home branches for a few patrons
(`{{ custom.branch }}`) make the audiences and previews real; the December newsletter
waits as a draft campaign, for its three confirmed subscribers. Nothing is sent. Idempotent:
senders, templates, topics and the campaign are found before they are made.
Registered as a step of `frontdesk.demo.core.load_demo` by `register()`.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from frontdesk.core.models import ContactIdentity, Membership, Workspace
from frontdesk.demo.core import DEMO_STEPS
from frontdesk.demo.email import email_channel_for
from frontdesk.demo.inbox import DANIEL, MAYA, PRIYA, SAM
from frontdesk.demo.sms import sms_channel_for
from frontdesk.outreach.actions.authoring import create_sender_identity, create_template
from frontdesk.outreach.actions.campaigns import create_campaign
from frontdesk.outreach.models import (
    Campaign,
    ContactData,
    OutreachSettings,
    SenderIdentity,
    Subscription,
    SubscriptionStatus,
    Template,
    Topic,
)

STEP_NAME = "outreach"
DRAFT_CAMPAIGN = "December newsletter"
ADDRESS = "Riverside Public Library\n12 River Road\nRiverside, OR 97000"

SENDERS = {
    # staff email: (title, signature, sends texts too)
    MAYA: (
        "Library Director",
        "Maya Patel\nLibrary Director, Riverside Public Library\n(555) 010-0100",
        False,
    ),
    PRIYA: (
        "Branch Librarian, Eastside",
        "Priya Shah\nBranch Librarian, Eastside branch\nStory time: Tuesdays 10:30",
        True,
    ),
    DANIEL: (
        "Adult Services Librarian",
        "Daniel Reyes\nAdult Services, Riverside Public Library",
        False,
    ),
    SAM: (
        "Community Programs Coordinator",
        "Sam Okafor\nCommunity Programs, Riverside Public Library",
        False,
    ),
}

# name, subject, HTML (email) or None, text (SMS) or None; the comment names who
# signs it (a campaign or notice picks its sender identity).
TEMPLATES: list[tuple[str, str, str | None, str | None]] = [
    (  # Maya
        "Welcome to the library",
        'Welcome to Riverside Public Library, {{ contact.first_name|default:"neighbour" }}',
        '<p>Hi {{ contact.first_name|default:"there" }},</p>\n'
        "<p>I'm Maya, the director here, and I wanted to welcome you myself. Your card "
        "works at every branch; your home branch is "
        '<b>{{ custom.branch|default:"whichever is closest to you"}}</b>.</p>\n'
        "<p>Three things people wish they had known sooner: you can borrow museum passes, "
        "ask us to set a book aside by text, and the makerspace is free.</p>\n"
        "<p>If anything is unclear, or you have an idea for us, just reply to this email. "
        "It comes to me, and I read every answer.</p>",
        None,
    ),
    (  # Priya
        "Hold ready for pickup",
        "{{ item.title }} is waiting for you",
        '<p>Hi {{ contact.first_name|default:"there" }},</p>\n'
        "<p>Good news: <i>{{ item.title }}</i> is on the holds shelf at "
        '{{ item.branch|default:"your branch"}} with your name on it. We will keep it for '
        'you until {{ item.pickup_by|default:"the end of next week"}}.</p>\n'
        "<p>Can't make it by then? Reply and tell me; I'm happy to hold it a few more "
        "days or send it to another branch.</p>",
        None,
    ),
    (  # Priya
        "Hold ready (text message)",
        "",
        None,
        'Hi {{ contact.first_name|default:"there" }}, {{ item.title }} is ready for you at '
        '{{ item.branch|default:"the library"}} until {{ item.pickup_by|default:"next week"}}. '
        "Reply here if you need more time. – Priya",
    ),
    (  # Daniel
        "Item overdue",
        "A gentle reminder about {{ item.title }}",
        '<p>Hi {{ contact.first_name|default:"there" }},</p>\n'
        "<p><i>{{ item.title }}</i> was due back on {{ item.due }}. No stress: you can "
        "renew it online, by text, or by answering this email, unless someone else is "
        "waiting for it.</p>\n"
        "<p>If it got lost or damaged, tell me and we'll sort it out together.</p>",
        None,
    ),
    (  # Sam
        "Event reminder",
        "See you soon at {{ event.title }}",
        '<p>Hi {{ contact.first_name|default:"there" }},</p>\n'
        "<p>Just a reminder that <b>{{ event.title }}</b> is on {{ event.starts }}, in "
        '{{ event.place|default:"the library"}}. I\'m looking forward to it.</p>\n'
        "<p>If you can no longer come, reply to let me know, so someone on the waiting "
        "list can have your place.</p>",
        None,
    ),
    (  # Maya
        "We changed this because of your feedback",
        "You asked, we changed it: longer Saturday hours",
        '<p>Hi {{ contact.first_name|default:"there" }},</p>\n'
        "<p>Many of you told us that Saturdays were too short. Starting next month, "
        '{{ custom.branch|default:"the Main Library"}} stays open until 6 pm on Saturdays.'
        "</p>\n<p>Thank you for telling us. Keep the ideas coming: reply to this email, "
        "or add one on our community page.</p>",
        None,
    ),
    (  # Daniel
        "Monthly newsletter",
        '{{ contact.first_name|default:"Friends" }}, what\'s new at {{ library.name }}',
        '<p>Hi {{ contact.first_name|default:"there" }},</p>\n'
        "<p>Here is what is new this month:</p>\n<ul>\n"
        "<li><b>New large-print shelf</b> at "
        '{{ custom.branch|default:"every branch"}}.</li>\n'
        "<li><b>Teen coding club</b> meets Thursdays at 4 pm.</li>\n"
        "<li><b>Museum passes</b> for the winter holidays can be "
        '<a href="https://riverside-library.example/museum-passes">reserved now</a>.</li>\n'
        "</ul>\n<p>Anything you'd like to see here next month? Reply and tell me.</p>",
        None,
    ),
]

TOPICS = [
    # slug, name, description, double opt-in
    ("newsletter", "Monthly newsletter", "What's new at your library, once a month.", True),
    ("events", "Events near you", "Reminders for story times, talks and clubs.", False),
]

BRANCHES = {
    "ana.lopez@example.org": "Eastside",
    "chloe.nguyen@example.net": "Main Library",
    "grace.okoye@example.com": "Eastside",
    "jamal.w@example.org": "Main Library",
    "leo.martin@example.com": "Westside",
}


SUBSCRIBED, PENDING = SubscriptionStatus.SUBSCRIBED, SubscriptionStatus.PENDING
SUBSCRIPTIONS = {
    "ana.lopez@example.org": {"newsletter": SUBSCRIBED, "events": SUBSCRIBED},
    "chloe.nguyen@example.net": {"newsletter": SUBSCRIBED},
    "grace.okoye@example.com": {"newsletter": PENDING, "events": SUBSCRIBED},
    "jamal.w@example.org": {"newsletter": SUBSCRIBED},
}


def register() -> None:
    if all(name != STEP_NAME for name, _ in DEMO_STEPS):
        DEMO_STEPS.append((STEP_NAME, load_outreach_demo))


def load_outreach_demo(workspace: Workspace, staff: dict[str, Membership]) -> None:
    owner = staff[MAYA]
    email_channel = email_channel_for(workspace, staff).channel
    sms_channel = sms_channel_for(workspace, staff).channel
    senders: dict[str, SenderIdentity] = {}
    for email, (title, signature, texts) in SENDERS.items():
        member = staff[email]
        found = SenderIdentity.objects.for_workspace(workspace).filter(member=member).first()
        senders[email] = found or create_sender_identity(
            member=member,
            title=title,
            signature=signature,
            email_channel=email_channel,
            sms_channel=sms_channel if texts else None,
            by=owner,
        )
    for name, subject, html, sms in TEMPLATES:
        if Template.objects.for_workspace(workspace).filter(name=name).exists():
            continue
        create_template(
            workspace.pk,
            name=name,
            kind="email" if html is not None else "sms",
            subject=subject,
            html=html or "",
            sms_body=sms or "",
            by=owner,
        )
    topics = {
        slug: Topic.objects.get_or_create(
            workspace=workspace,
            slug=slug,
            defaults={"name": name, "description": description, "double_opt_in": double},
        )[0]
        for slug, name, description, double in TOPICS
    }
    if not Campaign.objects.for_workspace(workspace).filter(name=DRAFT_CAMPAIGN).exists():
        # A draft to look at and start: the newsletter to its confirmed subscribers.
        create_campaign(
            name=DRAFT_CAMPAIGN,
            sender=senders[DANIEL],
            template=Template.objects.for_workspace(workspace).get(name="Monthly newsletter"),
            topic=topics["newsletter"],
            by=owner,
        )
    # The director is the library's voice when the person who acted has no sender of
    # their own (community updates: a moderator closing a question tells everyone).
    OutreachSettings.objects.get_or_create(
        workspace=workspace,
        defaults={"physical_address": ADDRESS, "default_sender": senders[MAYA]},
    )
    for address, branch in BRANCHES.items():
        identity = (
            ContactIdentity.objects.for_workspace(workspace)
            .filter(kind="email", value=address)
            .first()
        )
        if identity is not None:
            ContactData.objects.get_or_create(
                workspace=workspace,
                contact_id=identity.contact_id,
                defaults={"fields": {"branch": branch}},
            )
    # Who chose what: most of the patrons above confirmed the newsletter a while ago
    # (so the draft reaches someone), one has not yet; a few take the events.
    now = timezone.now()
    for address, choices in SUBSCRIPTIONS.items():
        identity = (
            ContactIdentity.objects.for_workspace(workspace)
            .filter(kind="email", value=address)
            .first()
        )
        if identity is None:
            continue
        for slug, status in choices.items():
            confirmed = status == SubscriptionStatus.SUBSCRIBED and topics[slug].double_opt_in
            Subscription.objects.get_or_create(
                workspace=workspace,
                contact_id=identity.contact_id,
                topic=topics[slug],
                defaults={
                    "status": status,
                    "updated_at": now - timedelta(days=40),
                    "confirmed_at": now - timedelta(days=40) if confirmed else None,
                },
            )

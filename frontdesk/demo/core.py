"""The Riverside Public Library demo workspace that `make demo` loads.

Loading is idempotent: every row is found by a natural key (workspace slug, staff
email, contact phone or email) before it is created, so running it again changes
nothing. Later features add their own demo data through `DEMO_STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from frontdesk.core.actions.contacts import add_identity, resolve_contact, set_consent
from frontdesk.core.actions.workspaces import add_member
from frontdesk.core.models import Membership, User, Workspace
from frontdesk.core.roles import Role

DEMO_SLUG = "riverside"
# The published demo sign-in lives in settings, where the sign-in page reads it.
DEMO_LOGIN: tuple[str, str] = tuple(settings.DEMO_LOGIN)  # type: ignore[assignment]
DEMO_PASSWORD = DEMO_LOGIN[1]

STAFF = [
    # email, display name, role, title, signature, colour
    (
        "maya@riverside-library.example",
        "Maya Patel",
        Role.OWNER,
        "Branch Manager",
        "Maya Patel\nBranch Manager, Riverside Public Library\n(555) 010-0100 · Open today 9–8",
        "#1f6f5c",
    ),
    (
        "daniel@riverside-library.example",
        "Daniel Reyes",
        Role.ADMIN,
        "Adult Services Librarian",
        "Daniel Reyes\nAdult Services, Riverside Public Library",
        "#2d6cb5",
    ),
    (
        "priya@riverside-library.example",
        "Priya Shah",
        Role.AGENT,
        "Youth Services Librarian",
        "Priya Shah\nYouth Services, Riverside Public Library\nStory time: Tuesdays 10:30",
        "#b83b5e",
    ),
    (
        "sam@riverside-library.example",
        "Sam Okafor",
        Role.MODERATOR,
        "Community Programs Coordinator",
        "Sam Okafor\nCommunity Programs, Riverside Public Library",
        "#c2562b",
    ),
]

CONTACTS = [
    # name, phone, email, sms consent, email consent, community consent, notes
    (
        "Ana Lopez",
        "+15550100123",
        "ana.lopez@example.org",
        "granted",
        "granted",
        "granted",
        "Book club regular; prefers texts.",
    ),
    ("Ben Carter", "+15550100124", None, "granted", "unknown", "unknown", ""),
    (
        "Chloe Nguyen",
        None,
        "chloe.nguyen@example.net",
        "unknown",
        "granted",
        "granted",
        "Runs the teen coding club.",
    ),
    (
        "David Kim",
        "+15550100126",
        "dkim@example.com",
        "revoked",
        "granted",
        "unknown",
        "Texted STOP in March.",
    ),
    ("Elena Rossi", "+15550100127", None, "granted", "unknown", "granted", ""),
    (
        "Farid Haddad",
        None,
        "farid@example.org",
        "unknown",
        "granted",
        "unknown",
        "Asked about museum passes.",
    ),
    (
        "Grace Okoye",
        "+15550100129",
        "grace.okoye@example.com",
        "granted",
        "granted",
        "granted",
        "Volunteer, Saturday shelving.",
    ),
    ("Hiro Tanaka", "+15550100130", None, "unknown", "unknown", "unknown", ""),
    ("Isabel Santos", None, "isabel.santos@example.net", "unknown", "revoked", "unknown", ""),
    (
        "Jamal Wright",
        "+15550100132",
        "jamal.w@example.org",
        "granted",
        "granted",
        "unknown",
        "Interested in the makerspace.",
    ),
    (
        "Kathy O'Brien",
        "+15550100133",
        None,
        "granted",
        "unknown",
        "granted",
        "Homebound delivery on Thursdays.",
    ),
    ("Leo Martin", None, "leo.martin@example.com", "unknown", "granted", "unknown", ""),
]

# Later features append (name, function(workspace, staff_by_email)) to add their demo data.
DEMO_STEPS: list[tuple[str, Callable[[Workspace, dict[str, Membership]], None]]] = []


def _staff_member(
    workspace: Workspace, email: str, name: str, role: str, title: str, signature: str, color: str
) -> Membership:
    first, _, last = name.partition(" ")
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, first_name=first, last_name=last)
    membership = add_member(
        workspace, user=user, role=role, display_name=name, title=title, signature=signature
    )
    if not membership.avatar_color:
        membership.avatar_color = color
        membership.sms_sign_off = f"– {first}"
        membership.save(update_fields=["avatar_color", "sms_sign_off"])
    return membership


@transaction.atomic
def load_demo() -> Workspace:
    """Create (or find) the Riverside demo workspace with staff and contacts."""
    workspace, _ = Workspace.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "name": "Riverside Public Library",
            "time_zone": "America/New_York",
            "default_country": "US",
            "brand_color": "#1f6f5c",
        },
    )
    staff = {
        email: _staff_member(workspace, email, name, role, title, signature, color)
        for email, name, role, title, signature, color in STAFF
    }
    for name, phone, email, sms, mail, community, notes in CONTACTS:
        first_kind, first_value = ("phone", phone) if phone else ("email", email or "")
        contact, created = resolve_contact(
            workspace, kind=first_kind, value=first_value, name=name, by=None
        )
        if phone and email:
            add_identity(contact, kind="email", value=email, by=None)  # no-op when already there
        if created:
            contact.notes = notes
            contact.save(update_fields=["notes"])
            for topic, status in (("sms", sms), ("email", mail), ("community", community)):
                if status != "unknown":
                    set_consent(contact, topic=topic, status=status, source="demo data", by=None)
    for _name, step in DEMO_STEPS:
        step(workspace, staff)
    return workspace

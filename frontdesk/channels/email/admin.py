"""Stand-in (the channel branch's version wins at merge; keep the import below)."""

from frontdesk.channels.email import imap_admin  # noqa: F401

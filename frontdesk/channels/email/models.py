"""Stand-in (the channel branch's version wins at merge; keep the import below)."""

from frontdesk.channels.email.imap_models import ImapMailbox

__all__ = ["ImapMailbox"]

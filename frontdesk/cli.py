"""The `frontdesk` command: a thin wrapper over Django's management commands.

frontdesk setup            migrate, create the cache table, collect static files
frontdesk load_demo        the Riverside Public Library demo workspace
frontdesk serve            web (WSGI) + websocket (ASGI) + task worker, one process tree
frontdesk worker           a task worker alone (run several at scale)
frontdesk smtpd            the built-in SMTP receiver for email channels (its own process)
frontdesk backup DEST      an online copy of the data; `frontdesk restore SRC` brings it back
frontdesk <any manage.py command>
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "frontdesk"
    if len(args) == 1:
        print(__doc__)
        args.append("help")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()

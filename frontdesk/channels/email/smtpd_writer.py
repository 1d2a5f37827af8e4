"""The writer process of `frontdesk smtpd` (see ProcessWriter in smtpd.py).

Started with multiprocessing's "spawn", so this module imports nothing of Django's
before `django.setup()`: the child unpickles its target (`main`) from here first.
"""

from __future__ import annotations

import logging
import os
import signal
from multiprocessing.connection import Connection


def main(conn: Connection) -> None:
    """Set Django up, then store each batch the SMTP process sends and send back
    the answers (after the commit). Signals are the SMTP process's business: the
    writer ends when its pipe closes or it is told to stop (None)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import django

    django.setup()
    from django.db import connections

    from frontdesk.channels.email.smtpd import AddressBook, Store, _db

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    store = Store(AddressBook())
    try:
        conn.send(("ready", os.getpid()))
        while True:
            items = conn.recv()
            if items is None:
                break
            conn.send(_db(store.store_batch, items))
    except (EOFError, OSError):
        pass  # the SMTP process is gone: nobody is waiting for an answer
    finally:
        connections.close_all()

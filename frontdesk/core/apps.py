from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _sqlite_files_private(sender: Any, connection: Any, **_kwargs: Any) -> None:
    """SQLite creates its files with the process umask (often world-readable); the
    databases hold every customer's messages, so they are made 0600."""
    if connection.vendor == "sqlite":
        from frontdesk.env import make_private

        make_private(connection.settings_dict["NAME"])


class CoreConfig(AppConfig):
    name = "frontdesk.core"
    label = "core"
    verbose_name = "Workspaces, staff and contacts"

    def ready(self) -> None:
        from frontdesk.core import checks  # noqa: F401 (registers the deploy checks)

        connection_created.connect(_sqlite_files_private, dispatch_uid="frontdesk-sqlite-private")

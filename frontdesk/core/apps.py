from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "frontdesk.core"
    label = "core"
    verbose_name = "Workspaces, staff and contacts"

    def ready(self) -> None:
        from frontdesk.core import checks  # noqa: F401 (registers the deploy checks)

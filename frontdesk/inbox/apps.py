from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "frontdesk.inbox"
    label = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        # The inbox's demo conversations join `load_demo` (idempotent: added once).
        from frontdesk.inbox.demo import register

        register()

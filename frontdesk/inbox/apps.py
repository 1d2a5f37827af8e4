from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "frontdesk.inbox"
    label = "inbox"
    verbose_name = "Inbox"

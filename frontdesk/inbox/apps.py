from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "frontdesk.inbox"
    label = "inbox"
    verbose_name = "Inbox"
    # The contact page's list of the person's conversations (frontdesk/core/contact_sections.py).
    contact_sections = ("frontdesk.inbox.contact_page.conversations_section",)

from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "frontdesk.outreach"
    label = "outreach"
    verbose_name = "Outreach"

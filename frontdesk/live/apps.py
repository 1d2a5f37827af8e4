from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "frontdesk.live"
    label = "live"
    verbose_name = "Live updates"

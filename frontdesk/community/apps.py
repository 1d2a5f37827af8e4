from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "frontdesk.community"
    label = "community"
    verbose_name = "Community"

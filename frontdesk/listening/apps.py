from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "frontdesk.listening"
    label = "listening"
    verbose_name = "Listening"

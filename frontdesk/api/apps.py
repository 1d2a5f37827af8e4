from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "frontdesk.api"
    label = "api"
    verbose_name = "JSON API"

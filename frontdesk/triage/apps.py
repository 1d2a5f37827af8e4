from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "frontdesk.triage"
    label = "triage"
    verbose_name = "Triage"

from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "frontdesk.triage"
    label = "triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        from django.conf import settings

        from frontdesk.triage import abuse

        # The abuse word table, once read from alt-profanity-check, is kept here and
        # read back without scikit-learn (triage/abuse.py).
        abuse.set_cache_dir(settings.DATA_DIR / "cache")

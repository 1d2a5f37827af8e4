from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The Riverside demo: its data (`load_demo`), the phone simulator and the Twilio
    stand-in. Installed only in demo mode (FRONTDESK_DEMO); nothing in the product
    imports it (an import-linter contract in pyproject.toml says so)."""

    name = "frontdesk.demo"
    label = "demo"
    verbose_name = "Demo"

    def ready(self) -> None:
        # Each part's demo data joins `load_demo` (added once), and the demo phone's
        # tasks are registered in every process, the worker's too.
        from frontdesk.demo import community, email, inbox, listening, outreach, sms
        from frontdesk.demo.phone import tasks  # noqa: F401

        inbox.register()
        sms.register()
        listening.register()
        email.register()
        community.register()
        outreach.register()

from django.apps import AppConfig


class SmsConfig(AppConfig):
    """Text messages through an SMS provider (Twilio first)."""

    name = "frontdesk.connectors.sms"
    label = "sms"
    verbose_name = "SMS"

    def ready(self) -> None:
        # The demo library's SMS channel and texts join `load_demo` (added once), and
        # the demo phone's tasks are registered in every process, the worker's too.
        from frontdesk.connectors.sms import demo
        from frontdesk.connectors.sms.simulator import tasks  # noqa: F401

        demo.register()

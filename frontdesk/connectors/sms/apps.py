from django.apps import AppConfig


class SmsConfig(AppConfig):
    """Text messages through an SMS provider (Twilio first)."""

    name = "frontdesk.connectors.sms"
    label = "sms"
    verbose_name = "SMS"

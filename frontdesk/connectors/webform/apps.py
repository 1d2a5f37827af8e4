from django.apps import AppConfig


class WebFormConfig(AppConfig):
    """The public "Contact us" form: its pages, templates and system check."""

    name = "frontdesk.connectors.webform"
    label = "webform"
    verbose_name = "Web form"

    def ready(self) -> None:
        from frontdesk.connectors.webform import checks  # noqa: F401 (registers the check)

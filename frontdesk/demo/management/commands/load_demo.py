from django.conf import settings
from django.core.management.base import BaseCommand

from frontdesk.core.queries import contacts, team
from frontdesk.demo.core import DEMO_LOGIN, load_demo


class Command(BaseCommand):
    help = "Load (or refresh) the Riverside Public Library demo workspace. Safe to run again."

    def handle(self, *args: object, **options: object) -> None:
        workspace = load_demo()
        email, password = DEMO_LOGIN
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo workspace “{workspace.name}”: {team(workspace).count()} staff, "
                f"{contacts(workspace).count()} contacts."
            )
        )
        self.stdout.write(f"Sign in at {settings.PUBLIC_BASE_URL}/login/ as {email} / {password}")

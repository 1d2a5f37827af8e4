"""`frontdesk triage train [--workspace SLUG] [--min N]`: learn sentiment and urgency
from staff corrections."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontdesk.core.models import Workspace
from frontdesk.triage.corrections import MIN_EXAMPLES, train_workspace
from frontdesk.triage.models import CorrectionKind


class Command(BaseCommand):
    help = "Triage upkeep. Subcommand: train (each workspace's classifiers from its corrections)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        train = sub.add_parser("train", help="Train classifiers from staff corrections.")
        train.add_argument("--workspace", help="Only this workspace (its slug).")
        train.add_argument("--min", type=int, default=MIN_EXAMPLES, help="Corrections needed.")

    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = Workspace.objects.order_by("pk")
        if options["workspace"]:
            workspaces = workspaces.filter(slug=options["workspace"])
            if not workspaces.exists():
                raise CommandError(f"No workspace {options['workspace']!r}.")
        for workspace in workspaces:
            for kind in CorrectionKind.values:
                self._train(workspace, kind, options["min"])

    def _train(self, workspace: Workspace, kind: str, minimum: int) -> None:
        # Sentiment keeps its plain line; urgency says which it is.
        name = workspace.slug if kind == CorrectionKind.SENTIMENT else f"{workspace.slug} ({kind})"
        trained = train_workspace(workspace.pk, minimum=minimum, kind=kind)
        if trained is None:
            self.stdout.write(f"{name}: too few corrections; default analyzer kept")
            return
        line = f"{name}: trained on {trained.examples} corrections"
        if trained.accuracy is not None and trained.default_accuracy is not None:
            line += (
                f"; accuracy on unseen corrections {trained.accuracy:.1%}"
                f" (default analyzer {trained.default_accuracy:.1%})"
            )
        self.stdout.write(line)

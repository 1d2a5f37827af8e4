"""`frontdesk evaluate triage --dataset PATH …`: measure triage on a labelled CSV."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontdesk.triage.evaluate import DatasetError, evaluate, read_dataset, table


class Command(BaseCommand):
    help = "Measure an analyzer on a labelled file. Subcommand: triage."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        triage = sub.add_parser(
            "triage",
            help="Sentiment: default, learned, plain VADER and TF-IDF side by side.",
        )
        triage.add_argument("--dataset", required=True, type=Path, help="A CSV with a header row.")
        triage.add_argument("--text-column", default="text")
        triage.add_argument("--label-column", default="airline_sentiment")
        triage.add_argument(
            "--train-fraction",
            type=float,
            default=0.5,
            help="Part of each label's rows the learned and TF-IDF systems train on (0.5).",
        )
        triage.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = read_dataset(
                options["dataset"],
                text_column=options["text_column"],
                label_column=options["label_column"],
            )
            results = evaluate(data, train_fraction=options["train_fraction"])
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(results))
        else:
            rows = results["default"]["test_rows"]
            self.stdout.write(f"{rows} test rows; learned and tfidf trained on the rest.\n")
            self.stdout.write(table(results))

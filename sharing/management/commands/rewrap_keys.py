from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sharing import keyops
from sharing.management.commands._keyring import run_rewrap


class Command(BaseCommand):
    help = (
        "Move every document version's wrapped data key to the current key-encryption key. "
        "Safe to stop and run again: work already done is skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=keyops.DEFAULT_BATCH_SIZE,
            help=f"versions per transaction (default {keyops.DEFAULT_BATCH_SIZE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("The batch size must be at least 1.")
        run_rewrap(batch_size=options["batch_size"], stdout=self.stdout, style=self.style)

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chaining import chain_pending
from audit.verification import verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail: the hash chain, every checkpoint's tree head and signature, and the "
        "field history bound into it. Exits non-zero naming the first bad sequence number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="Verify only what came after the last checkpoint a successful run reached.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        chain_pending(sweep=True)
        result = verify(incremental=options["incremental"])
        if result.problem is not None:
            raise CommandError(f"Audit trail verification FAILED at {result.problem}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail verified: {result.events_checked} events in {result.seconds:.2f}s "
                f"({result.rate:,.0f} events/s); signed checkpoints verified up to {result.verified_tree_size}."
            )
        )

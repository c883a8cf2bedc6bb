from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.export import ExportTooLarge, export_lines
from audit.models import Outcome
from audit.trail import record


class Command(BaseCommand):
    help = "Export audit events with signed checkpoints and proofs as JSON Lines, for `python -m audit.verify`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="where to write the export (refuses to overwrite)")
        parser.add_argument("--actor", required=True, help="e-mail of the person taking the export (recorded)")
        parser.add_argument("--from-seq", type=int, default=1, help="first sequence number (default 1)")
        parser.add_argument("--to-seq", type=int, default=None, help="last sequence number (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = get_user_model().objects.filter(email__iexact=options["actor"], is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user has the e-mail {options['actor']!r}; name yourself with --actor.")
        target: Path = options["file"]
        if target.exists():
            raise CommandError(f"{target} already exists; choose a new file name.")
        record(
            "audit.exported",
            outcome=Outcome.ALLOWED,
            actor=actor,
            details={"format": "jsonl", "from_seq": options["from_seq"], "to_seq": options["to_seq"], "via": "command"},
        )
        try:
            lines = list(export_lines(first_seq=options["from_seq"], last_seq=options["to_seq"]))
        except ExportTooLarge as exc:
            raise CommandError(f"{exc}. Use --from-seq and --to-seq to export in parts.") from exc
        target.write_text("".join(lines), encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {len(lines)} lines to {target}. Check it with: python -m audit.verify {target}")
        )

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dhr_tracker.backup import services
from dhr_tracker.backup.archive import ArchiveError, WrongPassphrase
from sharing.management.commands._keyring import add_actor_argument, add_passphrase_argument, read_passphrase


class Command(BaseCommand):
    help = (
        "Restore a backup made by manage.py backup into a new, empty database and document storage, then check "
        "that every document decrypts, the audit trail verifies and nothing is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="the backup file")
        add_passphrase_argument(parser)
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        backup: Path = options["backup"]
        if not backup.is_file():
            raise CommandError(f"There is no backup file at {backup}.")
        if reasons := services.refusals():
            raise CommandError("\n".join([*reasons, "Nothing was written; run restore again once all is ready."]))
        passphrase = read_passphrase(options, confirm=False, stderr=self.stderr)
        self.stdout.write(f"Checking the whole of {backup} before writing anything...")
        try:
            reader, manifest = services.open_archive(backup, passphrase)
        except WrongPassphrase:
            raise CommandError(
                "The passphrase is wrong (or the backup is damaged at its start). Nothing was written."
            ) from None
        except ArchiveError as exc:
            raise CommandError(f"The backup cannot be used: {exc}. Nothing was written.") from None
        except services.RestoreRefused as exc:
            raise CommandError(f"{exc}\nNothing was written.") from None
        except OSError as exc:
            raise CommandError(f"Cannot read {backup}: {exc.strerror}. Nothing was written.") from None
        self.stdout.write(f"The backup made at {manifest['created_at']} is intact. Restoring...")
        try:
            report = services.restore(reader, manifest, passphrase=passphrase, actor_email=options["actor"])
        except services.RestoreRefused as exc:
            raise CommandError(f"{exc}\nNothing was written.") from None
        except services.RestoreFailed as exc:
            raise CommandError(str(exc)) from None
        self._print(report)
        if report.problems:
            raise CommandError(
                f"The restore is not sound: {len(report.problems)} problem(s), listed above. Do not start the "
                "service on it; keep the backup, and report it as an incident."
            )
        self.stdout.write(self.style.SUCCESS("Restored and checked: nothing is missing."))

    def _print(self, report: services.RestoreReport) -> None:
        expected = report.manifest["audit"]
        self.stdout.write(f"Database: {report.tables} tables, {report.rows:,} rows.")
        self.stdout.write(f"Document storage: {report.objects} objects, {report.object_bytes:,} bytes.")
        if report.key_ids:
            self.stdout.write(f"Keyring: keys {', '.join(report.key_ids)}.")
        self.stdout.write(
            f"Documents: {report.versions_intact} of {report.versions_checked} available versions decrypted to the "
            "SHA-256 recorded at upload."
        )
        self.stdout.write(
            f"Audit trail: {report.audit_events} events checked (the backup's last was {expected['last_seq']}); "
            f"signed checkpoints verified up to {report.audit_verified_to}."
        )
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"Note: {note}"))
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(f"Problem: {problem}"))

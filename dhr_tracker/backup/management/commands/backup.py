from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dhr_tracker.backup import postgres, services
from sharing.keys import MIN_PASSPHRASE_LENGTH, KeyUnavailable, WeakPassphrase
from sharing.management.commands._keyring import (
    add_actor_argument,
    add_passphrase_argument,
    find_actor,
    read_passphrase,
)
from sharing.objects import StorageUnavailable

NOT_INCLUDED = (
    "Not in the backup, by design: SECRET_KEY, FIELD_ENCRYPTION_KEYS, BLIND_INDEX_KEY and AUDIT_SIGNING_KEY. "
    "Keep them safe separately: a restore refuses to run without the same keys."
)


class Command(BaseCommand):
    help = (
        "Write the database, every stored document object and the local keyring to one new file, encrypted "
        "under a passphrase. Restore it with manage.py restore."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, required=True, help="the backup file to create (never replaced)")
        add_passphrase_argument(parser)
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        if output.exists() or output.is_symlink():
            raise CommandError(f"{output} already exists; choose a new file name. Nothing was written.")
        try:
            postgres.require_postgresql()
        except postgres.NotPostgreSQL as exc:
            raise CommandError(
                f"Backups need PostgreSQL: {exc}. The embedded default (SQLite) is for demonstrations and must "
                "hold no real data; to keep a copy of one, stop it and copy its var/ folder."
            ) from None
        actor = find_actor(options["actor"])
        passphrase = read_passphrase(options, confirm=True, stderr=self.stderr)
        try:
            result = services.back_up(output, passphrase=passphrase, actor=actor)
        except WeakPassphrase:
            raise CommandError(
                f"The passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters. Nothing was written."
            ) from None
        except FileExistsError:
            raise CommandError(f"{output} already exists; choose a new file name. Nothing was written.") from None
        except KeyUnavailable as exc:
            raise CommandError(
                f"Cannot read the keyring: {exc}. Check SHARING_KEYRING_FILE. No backup was written."
            ) from exc
        except postgres.ToolFailed as exc:
            raise CommandError(f"The database could not be dumped: {exc}. No backup was written.") from exc
        except StorageUnavailable as exc:
            raise CommandError(
                f"A document object could not be read: {exc}. No backup was written; run it again when the "
                "document storage answers."
            ) from exc
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}. No backup was written.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {result.tables} tables ({result.rows:,} rows), {result.objects} document objects "
                f"({result.object_bytes:,} bytes) and the audit trail up to event {result.audit_seq} to {output} "
                f"({result.size:,} bytes, mode 0600)."
            )
        )
        if result.key_ids:
            self.stdout.write(f"The keyring is in it, with keys {', '.join(result.key_ids)}.")
        else:
            self.stdout.write(
                "SHARING_KEY_PROVIDER is kms: the key-encryption keys stay in AWS KMS and are not in the backup."
            )
        self.stdout.write(NOT_INCLUDED)
        self.stdout.write("Keep the backup and the passphrase apart: together they open every document.")

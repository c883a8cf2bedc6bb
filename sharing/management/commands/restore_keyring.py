from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sharing import keyops
from sharing.keys import BackupError
from sharing.management.commands._keyring import (
    KMS_ADVICE,
    add_actor_argument,
    add_passphrase_argument,
    find_actor,
    read_passphrase,
)


class Command(BaseCommand):
    help = "Restore the local keyring (SHARING_KEYRING_FILE) from a backup made by backup_keyring."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="the backup file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace an existing keyring; keys only in it are lost, with every document wrapped under them",
        )
        add_passphrase_argument(parser)
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = keyops.keyring_path()
        except keyops.NoKeyring:
            raise CommandError(f"{KMS_ADVICE} There is no keyring to restore here.") from None
        if path.exists() and not options["force"]:
            raise CommandError(self._exists_message(path))
        actor = find_actor(options["actor"])
        backup: Path = options["backup"]
        try:
            blob = backup.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read the backup {backup}: {exc.strerror}.") from None
        passphrase = read_passphrase(options, confirm=False, stderr=self.stderr)
        try:
            restored = keyops.restore_keyring_from_backup(
                blob, passphrase=passphrase, overwrite=options["force"], actor=actor
            )
        except BackupError as exc:
            raise CommandError(f"Cannot open the backup: {exc}. Nothing was changed.") from None
        except FileExistsError:
            raise CommandError(self._exists_message(path)) from None
        except OSError as exc:
            raise CommandError(f"Cannot write the keyring {path}: {exc.strerror}.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the keyring to {path} with keys {', '.join(restored.key_ids)} "
                f"(current: {restored.current_key_id})."
            )
        )
        if restored.replaced:
            if restored.lost_key_ids is None:
                self.stdout.write(
                    self.style.WARNING(
                        "The replaced keyring could not be read: any keys only in it are lost, "
                        "and documents wrapped under them cannot be read."
                    )
                )
            elif restored.lost_key_ids:
                self.stdout.write(
                    self.style.WARNING(
                        f"Keys only in the replaced keyring are lost: {', '.join(restored.lost_key_ids)}. "
                        "Documents wrapped under them cannot be read."
                    )
                )
            else:
                self.stdout.write("Every key in the replaced keyring is also in the backup; none was lost.")
        self.stdout.write("Restart the web and worker processes so they use the restored keyring.")

    @staticmethod
    def _exists_message(path: Path) -> str:
        return (
            f"A keyring already exists at {path}. Restoring would replace it, and any key only in it would be "
            "lost. Back it up first with backup_keyring, then run again with --force. Nothing was changed."
        )

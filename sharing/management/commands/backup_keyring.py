from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sharing import keyops
from sharing.keys import MIN_PASSPHRASE_LENGTH, KeyUnavailable, WeakPassphrase
from sharing.management.commands._keyring import (
    KMS_ADVICE,
    add_actor_argument,
    add_passphrase_argument,
    find_actor,
    read_passphrase,
)


class Command(BaseCommand):
    help = (
        "Write the local keyring, encrypted under a passphrase, to a new file for offline safekeeping. "
        "Without it, losing the keyring loses every document."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, required=True, help="the backup file to create (never replaced)")
        add_passphrase_argument(parser)
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        try:
            keyops.keyring_path()
        except keyops.NoKeyring:
            raise CommandError(f"{KMS_ADVICE} There is no keyring to back up here.") from None
        if output.exists() or output.is_symlink():
            raise CommandError(f"{output} already exists; choose a new file name. Nothing was written.")
        actor = find_actor(options["actor"])
        passphrase = read_passphrase(options, confirm=True, stderr=self.stderr)
        try:
            key_ids = keyops.back_up_keyring(output, passphrase=passphrase, actor=actor)
        except WeakPassphrase:
            raise CommandError(
                f"The passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters. Nothing was written."
            ) from None
        except KeyUnavailable as exc:
            raise CommandError(
                f"Cannot back up the keyring: {exc}. Check SHARING_KEYRING_FILE. Nothing was written."
            ) from exc
        except FileExistsError:
            raise CommandError(f"{output} already exists; choose a new file name. Nothing was written.") from None
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}. Nothing was written.") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Backed up {len(key_ids)} keys ({', '.join(key_ids)}) to {output}, mode 0600.")
        )
        self.stdout.write(
            "Keep it offline and apart from the passphrase: together they open every document. "
            "Back up again after every rotation."
        )

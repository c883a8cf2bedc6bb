from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sharing import keyops
from sharing.keys import KeyUnavailable
from sharing.management.commands._keyring import add_actor_argument, find_actor, run_rewrap

RESTART = "Restart the web and worker processes so that new documents use it"


class Command(BaseCommand):
    help = (
        "Add a new key-encryption key to the local keyring and make it current for new documents. "
        "Older keys stay in the keyring, so existing documents can still be read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rewrap", action="store_true", help="run rewrap_keys straight after rotating")
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = find_actor(options["actor"])
        try:
            key_id = keyops.rotate_keyring(actor=actor)
        except keyops.NoKeyring:
            raise CommandError(
                "This command rotates the local keyring only. SHARING_KEY_PROVIDER is kms: rotate the key in "
                "AWS KMS (automatic rotation, or point the alias at a new key and restart), then run rewrap_keys."
            ) from None
        except KeyUnavailable as exc:
            raise CommandError(f"Cannot rotate: {exc}. Check SHARING_KEYRING_FILE. Nothing was changed.") from exc
        self.stdout.write(self.style.SUCCESS(f"Added key {key_id}; it is now the current key-encryption key."))
        if not options["rewrap"]:
            self.stdout.write(f"Next: {RESTART}, then run rewrap_keys to move existing document keys to it.")
            return
        run_rewrap(batch_size=keyops.DEFAULT_BATCH_SIZE, stdout=self.stdout, style=self.style)
        self.stdout.write(f"Next: {RESTART}, then run rewrap_keys once more for anything uploaded meanwhile.")

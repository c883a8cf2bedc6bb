from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import CheckpointRefused, publish_checkpoint


class Command(BaseCommand):
    help = "Sign a checkpoint (tree head) over every audit event so far. Celery beat runs this every few minutes."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = publish_checkpoint()
        except CheckpointRefused as exc:
            raise CommandError(f"Refusing to sign: the trail does not verify ({exc}). Run verify_audit.") from exc
        if checkpoint is None:
            self.stdout.write("No new events since the last checkpoint; nothing signed.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Signed checkpoint over {checkpoint.tree_size} events, root {bytes(checkpoint.root_hash).hex()}."
                )
            )

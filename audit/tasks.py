"""Background work of the audit trail, run by Celery beat."""

from celery import shared_task

from audit.chaining import chain_pending as chain
from audit.checkpoints import publish_checkpoint as publish


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def chain_pending(sweep: bool = False) -> int:
    """Append any pending events to the chain: the safety net behind chaining on commit."""
    return chain(sweep=sweep)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def publish_checkpoint() -> int | None:
    """Sign a checkpoint over the events so far; idempotent (nothing new, nothing signed)."""
    checkpoint = publish()
    return checkpoint.tree_size if checkpoint else None

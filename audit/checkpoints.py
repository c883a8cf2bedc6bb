"""Publishing signed checkpoints (tree heads) over the audit chain."""

from django.db import transaction
from django.utils import timezone

from audit import chain, keys, signing
from audit.chaining import chain_pending, lock_chain
from audit.merkle import Frontier
from audit.models import AuditEvent, Checkpoint
from audit.reading import BrokenChain, scan


class CheckpointRefused(RuntimeError):
    """The events since the last checkpoint do not verify, so they are not signed."""


def resume_frontier(checkpoint: Checkpoint | None) -> Frontier:
    if checkpoint is None:
        return Frontier()
    return Frontier.from_hashes(checkpoint.tree_size, [bytes.fromhex(h) for h in checkpoint.frontier])


def publish_checkpoint() -> Checkpoint | None:
    """Sign a tree head over every event so far; ``None`` if nothing is new since the last.

    The events since the last checkpoint are verified first: signing a chain that has already
    been tampered with would lend it credibility.
    """
    with transaction.atomic():
        lock_chain()
        chain_pending()
        previous = Checkpoint.objects.order_by("-tree_size").first()
        start = previous.tree_size if previous else 0
        if not AuditEvent.objects.filter(seq__gt=start).exists():
            return None
        frontier = resume_frontier(previous)
        head = bytes(previous.chain_head) if previous else chain.GENESIS
        try:
            for block in scan(start + 1, head):
                frontier.extend(block.hashes_from(block.first_seq, block.last_seq + 1))
                head = block.hash_of(block.last_seq)
        except BrokenChain as exc:
            raise CheckpointRefused(str(exc.problem)) from exc
        now = timezone.now()
        root = frontier.root()
        message = signing.checkpoint_message(frontier.size, root, head, chain.format_time(now))
        return Checkpoint.objects.create(
            tree_size=frontier.size,
            root_hash=root,
            chain_head=head,
            frontier=[h.hex() for h in frontier.hashes],
            time=now,
            key_id=signing.key_id(keys.current_public_key()),
            signature=signing.sign(keys.signing_key(), message),
        )

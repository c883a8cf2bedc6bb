"""Exporting audit events as JSON Lines that can be verified with nothing but the file.

Format ``dhr-audit-export-v1``, one JSON object per line, each with a ``type``:

- ``header``: ``format``, ``exported_at``, ``public_keys`` (key id -> raw Ed25519 public key,
  hex), ``first_seq``, ``last_seq``, ``count`` and ``contiguous`` (whether every event in the
  range is present, in which case the verifier also walks the chain);
- ``checkpoint``: a signed tree head (``tree_size``, ``root``, ``chain_head``, ``time``,
  ``key_id``, ``signature``): the first that covers the exported range, and the *anchor*, the
  newest, which covers every exported event;
- ``event``: ``seq``, ``prev_hash``, ``hash`` and every field of ``audit.chain.FIELDS``;
- ``inclusion``: ``seq``, ``tree_size``, ``proof``: RFC 6962 audit path of that event's hash in
  the anchor tree;
- ``consistency``: ``old_size``, ``new_size``, ``proof``: RFC 6962 proof that the anchor's tree
  extends the first checkpoint's.
Hashes, keys and signatures are lowercase hex.
"""

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Q
from django.utils import timezone

from audit import chain, keys
from audit.checkpoints import publish_checkpoint
from audit.merkle import Tree, consistency_proof
from audit.models import AuditEvent, Checkpoint
from audit.reading import COLUMNS, fields_of

FORMAT = "dhr-audit-export-v1"
MAX_EVENTS = 200_000


class ExportTooLarge(ValueError):
    """More events were asked for than one export may hold."""


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def _checkpoint_line(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "type": "checkpoint",
        "tree_size": checkpoint.tree_size,
        "root": bytes(checkpoint.root_hash).hex(),
        "chain_head": bytes(checkpoint.chain_head).hex(),
        "time": chain.format_time(checkpoint.time),
        "key_id": checkpoint.key_id,
        "signature": bytes(checkpoint.signature).hex(),
    }


def event_line(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "type": "event",
        "seq": row[0],
        "prev_hash": bytes(row[1]).hex(),
        "hash": bytes(row[2]).hex(),
        **fields_of(row),
    }


def export_lines(scope: Q | None = None, *, first_seq: int = 1, last_seq: int | None = None) -> Iterator[str]:
    """Yield the lines of a verifiable export of the events in ``scope`` within the range.

    A checkpoint is signed first if events have arrived since the last one, so that every
    exported event can be proved against a signed tree head.
    """
    publish_checkpoint()
    anchor = Checkpoint.objects.order_by("-tree_size").first()
    top = min(last_seq, anchor.tree_size) if anchor and last_seq else (anchor.tree_size if anchor else 0)
    events = AuditEvent.objects.filter(seq__gte=first_seq, seq__lte=top)
    if scope is not None:
        events = events.filter(scope)
    count = events.count()
    if count > MAX_EVENTS:
        raise ExportTooLarge(f"{count} events match; export at most {MAX_EVENTS} at a time")
    rows = list(events.order_by("seq").values_list(*COLUMNS))
    contiguous = bool(rows) and rows[-1][0] - rows[0][0] + 1 == len(rows) and scope is None
    yield _line(
        {
            "type": "header",
            "format": FORMAT,
            "exported_at": chain.format_time(timezone.now()),
            "public_keys": {key_id: key.hex() for key_id, key in keys.public_keys().items()},
            "first_seq": rows[0][0] if rows else first_seq,
            "last_seq": rows[-1][0] if rows else top,
            "count": len(rows),
            "contiguous": contiguous,
        }
    )
    if anchor is None or not rows:
        return
    leaves = [
        bytes(h)
        for h in AuditEvent.objects.filter(seq__lte=anchor.tree_size).order_by("seq").values_list("hash", flat=True)
    ]
    # The first checkpoint that covers the exported range, and the anchor, with one proof that the
    # anchor extends it: enough to tie the export to a tree head signed before it was asked for,
    # whatever the number of checkpoints in between.
    first = Checkpoint.objects.filter(tree_size__gte=rows[0][0]).order_by("tree_size").first()
    checkpoints = [first, anchor] if first is not None and first.pk != anchor.pk else [anchor]
    yield from (_line(_checkpoint_line(c)) for c in checkpoints)
    for older, newer in itertools.pairwise(checkpoints):
        proof = consistency_proof(leaves, older.tree_size, newer.tree_size)
        yield _line(
            {
                "type": "consistency",
                "old_size": older.tree_size,
                "new_size": newer.tree_size,
                "proof": [p.hex() for p in proof],
            }
        )
    tree = Tree(leaves)
    yield from _event_and_proof_lines(rows, tree, anchor.tree_size)


def _event_and_proof_lines(rows: Iterable[tuple[Any, ...]], tree: Tree, size: int) -> Iterator[str]:
    for row in rows:
        yield _line(event_line(row))
        proof = tree.inclusion_proof(row[0] - 1)
        yield _line({"type": "inclusion", "seq": row[0], "tree_size": size, "proof": [p.hex() for p in proof]})

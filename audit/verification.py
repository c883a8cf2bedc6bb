"""Verifying the stored trail: the chain, every checkpoint's tree head and signature, and the
django-auditlog entries bound into it. Reports the first thing wrong, by sequence number.
"""

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from auditlog.models import LogEntry
from django.utils import timezone

from audit import chain, keys, signing
from audit.bindings import entry_digest
from audit.chaining import unchained
from audit.checkpoints import resume_frontier
from audit.merkle import Frontier, MerkleError
from audit.models import AuditEvent, Checkpoint, VerificationRun
from audit.reading import BrokenChain, scan

FORGED_SIGNATURE = "forged signature"
TREE_HEAD_MISMATCH = "tree head mismatch"
TAIL_TRUNCATED = "tail truncated behind a checkpoint"
HISTORY_ALTERED = "history entry altered"
HISTORY_MISSING = "history entry missing"
RESUME_FAILED = "cannot resume from checkpoint"
NEVER_CHAINED = "event never chained"
# A pending event is normally chained within a second or two of its commit (Celery beat runs the
# chainer every 5 seconds as a safety net); one left longer than this has been kept out.
CHAINING_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Result:
    ok: bool
    events_checked: int
    verified_tree_size: int
    problem: chain.Problem | None
    seconds: float

    @property
    def rate(self) -> float:
        return self.events_checked / self.seconds if self.seconds else 0.0


def check_signatures(checkpoints: list[Checkpoint]) -> chain.Problem | None:
    """Check every checkpoint's signature under the key it names."""
    known = keys.public_keys()
    for checkpoint in checkpoints:
        message = signing.checkpoint_message(
            checkpoint.tree_size,
            bytes(checkpoint.root_hash),
            bytes(checkpoint.chain_head),
            chain.format_time(checkpoint.time),
        )
        public = known.get(checkpoint.key_id)
        try:
            if public is None:
                raise signing.SignatureInvalid(f"unknown key {checkpoint.key_id}")
            signing.verify(public, message, bytes(checkpoint.signature))
        except signing.SignatureInvalid as exc:
            return chain.Problem(checkpoint.tree_size, FORGED_SIGNATURE, f"checkpoint at {checkpoint.tree_size}: {exc}")
    return None


def _history_problems(bound: dict[int, tuple[int, str]]) -> Iterator[chain.Problem]:
    """Compare each bound django-auditlog entry (seq -> (entry id, digest)) with what is stored."""
    entries = LogEntry.objects.in_bulk([entry_id for entry_id, _ in bound.values()])
    for seq, (entry_id, digest) in sorted(bound.items()):
        entry = entries.get(entry_id)
        if entry is None:
            yield chain.Problem(seq, HISTORY_MISSING, f"field history entry {entry_id} has been removed")
        elif entry_digest(entry) != digest:
            yield chain.Problem(seq, HISTORY_ALTERED, f"field history entry {entry_id} has been changed")


def _starting_point(checkpoints: list[Checkpoint], incremental: bool) -> tuple[int, bytes, Frontier] | chain.Problem:
    """Where to start: the beginning, or the last checkpoint a successful run reached."""
    if not incremental:
        return 1, chain.GENESIS, Frontier()
    last_ok = VerificationRun.objects.filter(ok=True, verified_tree_size__gt=0).order_by("-started_at").first()
    resume = next((c for c in checkpoints if last_ok and c.tree_size == last_ok.verified_tree_size), None)
    if resume is None:
        return 1, chain.GENESIS, Frontier()
    try:
        frontier = resume_frontier(resume)
    except MerkleError as exc:
        return chain.Problem(resume.tree_size, RESUME_FAILED, str(exc))
    stored_head = AuditEvent.objects.filter(seq=resume.tree_size).values_list("hash", flat=True).first()
    if (
        frontier.root() != bytes(resume.root_hash)
        or stored_head is None
        or bytes(stored_head) != bytes(resume.chain_head)
    ):
        return chain.Problem(resume.tree_size, RESUME_FAILED, "the checkpoint no longer matches the stored events")
    return resume.tree_size + 1, bytes(resume.chain_head), frontier


def verify(*, incremental: bool = False, save: bool = True) -> Result:
    """Verify the trail and, if ``save``, record the run for the auditors' home page."""
    started, clock = timezone.now(), time.perf_counter()
    checkpoints = list(Checkpoint.objects.order_by("tree_size"))
    problem = check_signatures(checkpoints)
    checked, verified_size = 0, 0
    start = _starting_point(checkpoints, incremental) if problem is None else problem
    if isinstance(start, chain.Problem):
        problem = start
    else:
        seq, running, frontier = start
        pending = [c for c in checkpoints if c.tree_size >= seq]
        bound: dict[int, tuple[int, str]] = {}
        mismatch: chain.Problem | None = None
        try:
            for block in scan(seq, running):
                checked += block.last_seq - block.first_seq + 1
                for at, text in block.bound.items():
                    details = json.loads(text)
                    if "log_entry" in details:
                        bound[at] = (details["log_entry"], details.get("digest", ""))
                while pending and pending[0].tree_size <= block.last_seq:
                    checkpoint = pending.pop(0)
                    frontier.extend(block.hashes_from(frontier.size + 1, checkpoint.tree_size + 1))
                    if frontier.root() != bytes(checkpoint.root_hash) or block.hash_of(checkpoint.tree_size) != bytes(
                        checkpoint.chain_head
                    ):
                        mismatch = mismatch or chain.Problem(
                            checkpoint.tree_size, TREE_HEAD_MISMATCH, "the events do not match the signed tree head"
                        )
                    elif mismatch is None:
                        verified_size = checkpoint.tree_size
                frontier.extend(block.hashes_from(frontier.size + 1, block.last_seq + 1))
        except BrokenChain as exc:
            problem = exc.problem
        problem = min((p for p in (problem, mismatch) if p is not None), key=lambda p: p.seq, default=None)
        if problem is not None:
            # Nothing at or after a broken event counts as verified.
            reached = [c.tree_size for c in checkpoints if c.tree_size <= verified_size and c.tree_size < problem.seq]
            verified_size = max(reached, default=0)
        if problem is None and pending:
            problem = chain.Problem(
                frontier.size + 1,
                TAIL_TRUNCATED,
                f"a checkpoint covers {pending[-1].tree_size} events but only {frontier.size} are stored",
            )
        stale = unchained().filter(time__lt=started - CHAINING_GRACE).first()
        if stale is not None and problem is None:
            problem = chain.Problem(
                frontier.size + 1,
                NEVER_CHAINED,
                f"pending event {stale.pk} ({stale.action}, recorded {chain.format_time(stale.time)}) was never chained",
            )
        history = next(_history_problems(bound), None)
        if history is not None and (problem is None or history.seq < problem.seq):
            problem = history
        if incremental and problem is None and verified_size == 0:
            verified_size = seq - 1
    result = Result(problem is None, checked, verified_size, problem, time.perf_counter() - clock)
    if save:
        VerificationRun.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            mode="incremental" if incremental else "full",
            ok=result.ok,
            events_checked=checked,
            verified_tree_size=verified_size,
            first_bad_seq=problem.seq if problem else None,
            problem=str(problem) if problem else "",
        )
    return result

"""Reading the stored chain back, for verification, checkpoints and export.

``scan`` walks the chain from a known point and yields each event that verifies, or raises
``BrokenChain`` with the first problem, precisely diagnosed. On PostgreSQL the database rebuilds
each event's canonical form and hashes it in SQL (``to_json`` escapes text exactly as Python's
``json.dumps(ensure_ascii=False)`` does; a test holds the two to the same bytes), so Python only
checks the links; at the first anomaly the pure-Python diagnosis of ``audit.chain`` is run on the
rows around it. Elsewhere every event is rebuilt in Python. Either way the verifier trusts the
database to return the rows it holds; the offline verifier of exports is the check that does not.
"""

import json
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple

from django.db import connection

from audit import chain
from audit.models import AuditEvent

COLUMNS = ("seq", "prev_hash", "hash", *("details_json" if name == "details" else name for name in chain.FIELDS))
CHUNK = 5000
NUMBERS = {"actor_id", "partnership_id"}
ACTION_AT = chain.FIELDS.index("action")
DETAILS_AT = chain.FIELDS.index("details")


class BrokenChain(Exception):
    def __init__(self, problem: chain.Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class Verified(NamedTuple):
    """An event that verified: its place, its hash, and its details if it binds field history."""

    seq: int
    hash: bytes
    bound_details: str | None


def stored_rows(start_seq: int = 1) -> Iterator[tuple[Any, ...]]:
    """Yield raw rows of ``COLUMNS`` in sequence order, streaming from the database."""
    rows = AuditEvent.objects.filter(seq__gte=start_seq).order_by("seq")
    yield from rows.values_list(*COLUMNS).iterator(chunk_size=CHUNK)


def fields_of(row: tuple[Any, ...]) -> dict[str, Any]:
    """The canonical fields of a raw row, with the time in canonical form."""
    fields = dict(zip(chain.FIELDS, row[3:], strict=True))
    fields["time"] = chain.format_time(fields["time"])
    fields["details"] = json.loads(fields["details"])
    return fields


def link_of(row: tuple[Any, ...]) -> chain.Link:
    return chain.Link(seq=row[0], prev_hash=bytes(row[1]), hash=bytes(row[2]), content=chain.canonical(fields_of(row)))


def links(start_seq: int = 1) -> Iterator[chain.Link]:
    """Yield the stored events from ``start_seq`` as chain links."""
    return map(link_of, stored_rows(start_seq))


def _sql_part(name: str) -> str:
    if name == "time":
        return """to_json(to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text"""
    if name == "details":
        return "details_json"
    if name in NUMBERS:
        return f"coalesce({name}::text, 'null')"
    return f"to_json({name})::text"


CANONICAL_SQL = "'[' || " + " || ',' || ".join(_sql_part(name) for name in chain.FIELDS) + " || ']'"
ENTRY_HASH_SQL = f"sha256('\\x{chain.DOMAIN.hex()}'::bytea || prev_hash || int8send(seq) || sha256(convert_to({CANONICAL_SQL}, 'UTF8')))"
# The first event in [lo, hi] whose stored hash is not that of its own fields and place.
ANOMALY_SQL = f"SELECT min(seq) FROM audit_auditevent WHERE seq >= %s AND seq <= %s AND {ENTRY_HASH_SQL} <> hash"  # noqa: S608
# One block of the chain as a few values: its stored hashes and previous hashes (32 bytes each,
# in order), how many events it holds, and the details of those that bind field history.
BLOCK_SQL = (
    "SELECT string_agg(hash, ''::bytea ORDER BY seq), string_agg(prev_hash, ''::bytea ORDER BY seq), count(*), "
    "array_agg(seq ORDER BY seq) FILTER (WHERE action LIKE 'model.%%'), "
    "array_agg(details_json ORDER BY seq) FILTER (WHERE action LIKE 'model.%%') "
    "FROM audit_auditevent WHERE seq >= %s AND seq <= %s"
)
BLOCK = 50_000
PARALLEL_CHECKS = 2


def _diagnose(expected: int, running: bytes) -> chain.Problem:
    """Explain the first problem at or after ``expected`` with the exact, pure-Python walk."""
    for item in chain.walk(links(expected), start_seq=expected, start_hash=running):
        if isinstance(item, chain.Problem):
            return item
    return chain.Problem(expected, chain.CHAIN_BROKEN, "it does not follow the event before it")


def _first_anomaly(lo: int, hi: int, found: list[int]) -> None:
    """Ask PostgreSQL for the first event in [lo, hi] whose hash does not match its fields."""
    with connection.cursor() as cursor:
        cursor.execute(ANOMALY_SQL, [lo, hi])
        row = cursor.fetchone()
        if row is not None and row[0] is not None:
            found.append(row[0])


def _first_anomaly_in_thread(lo: int, hi: int, found: list[int]) -> None:
    try:
        _first_anomaly(lo, hi, found)
    finally:
        connection.close()


def _hash_before(seq: int, start_seq: int, start_hash: bytes) -> bytes:
    if seq <= start_seq:
        return start_hash
    stored = AuditEvent.objects.filter(seq=seq - 1).values_list("hash", flat=True).first()
    return bytes(stored) if stored is not None else start_hash


def _scan_postgresql(start_seq: int, start_hash: bytes) -> Iterator[Verified]:
    """Check every hash in SQL, in parallel, while the chain's links are checked block by block.

    The events are yielded before the hash checks finish; ``BrokenChain`` is raised at the end if
    anything was found, naming the first problem, so consumers must not trust anything at or
    after that event. Inside a transaction other connections cannot see its rows, so there the
    hash checks run first, on this connection.
    """
    last = AuditEvent.objects.filter(seq__gte=start_seq).order_by("-seq").values_list("seq", flat=True).first()
    if last is None:
        return
    found: list[int] = []
    bounds = [start_seq + (last - start_seq + 1) * part // PARALLEL_CHECKS for part in range(PARALLEL_CHECKS + 1)]
    ranges = [(bounds[i], bounds[i + 1] - 1, found) for i in range(PARALLEL_CHECKS)]
    checks: list[threading.Thread] = []
    if connection.in_atomic_block:
        for arguments in ranges:
            _first_anomaly(*arguments)
    else:
        checks = [threading.Thread(target=_first_anomaly_in_thread, args=arguments) for arguments in ranges]
        for check in checks:
            check.start()
    broken_link: tuple[int, bytes] | None = None
    running = start_hash
    try:
        with connection.cursor() as cursor:
            for low in range(start_seq, last + 1, BLOCK):
                high = min(low + BLOCK - 1, last)
                cursor.execute(BLOCK_SQL, [low, high])
                hashes, prevs, count, bound_seqs, bound_details = cursor.fetchone()
                hashes, prevs = bytes(hashes or b""), bytes(prevs or b"")
                # Every event present, each following the one before: one comparison per block.
                if count != high - low + 1 or prevs[:32] != running or prevs[32:] != hashes[:-32]:
                    broken_link = (low, running)
                    break
                bound = dict(zip(bound_seqs or [], bound_details or [], strict=True))
                for index in range(0, len(hashes), 32):
                    seq = low + index // 32
                    yield Verified(seq, hashes[index : index + 32], bound.get(seq))
                running = hashes[-32:]
    finally:
        for check in checks:
            check.join()
    starts = [(seq, _hash_before(seq, start_seq, start_hash)) for seq in found]
    if broken_link is not None:
        starts.append(broken_link)
    if starts:
        raise BrokenChain(_diagnose(*min(starts)))


def scan(start_seq: int = 1, start_hash: bytes = chain.GENESIS) -> Iterator[Verified]:
    """Yield the events from ``start_seq``; raise ``BrokenChain`` with the first problem.

    On SQLite the problem is raised as soon as it is reached; on PostgreSQL, after every event
    has been yielded (see ``_scan_postgresql``).
    """
    if connection.vendor == "postgresql":
        yield from _scan_postgresql(start_seq, start_hash)
        return
    for item in chain.walk(links(start_seq), start_seq=start_seq, start_hash=start_hash):
        if isinstance(item, chain.Problem):
            raise BrokenChain(item)
        values = json.loads(item.content)
        bound = None
        if values[ACTION_AT].startswith("model."):
            bound = chain.canonical_details(values[DETAILS_AT])
        yield Verified(item.seq, item.hash, bound)

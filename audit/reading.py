"""Reading the stored chain back, for verification, checkpoints and export.

``scan`` walks the chain from a known point and yields it in blocks of consecutive events that
verify, or raises ``BrokenChain`` with the first problem, precisely diagnosed, after yielding
what came before it. On PostgreSQL the database rebuilds each event's canonical form and hashes
it in SQL (a test holds the SQL and Python forms to the same bytes), a block at a time, on two
connections at once, so Python only checks the links between events; at the first anomaly the
pure-Python diagnosis of ``audit.chain`` is run from the start of its block. Elsewhere every
event is rebuilt in Python. Either way the verifier trusts the database to return the rows it
holds; the offline verifier of exports is the check that does not.
"""

import json
import queue
import threading
from collections.abc import Generator, Iterator, Sequence
from itertools import islice
from typing import Any, NamedTuple

from django.db import connection

from audit import chain
from audit.models import AuditEvent

COLUMNS = ("seq", "prev_hash", "hash", *("details_json" if name == "details" else name for name in chain.FIELDS))
CHUNK = 5000
NUMBERS = ("actor_id", "partnership_id")
ACTION_AT = chain.FIELDS.index("action")
DETAILS_AT = chain.FIELDS.index("details")
BOUND_PREFIX = "model."


class BrokenChain(Exception):
    def __init__(self, problem: chain.Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class Block(NamedTuple):
    """Consecutive events that verified: the first one's place, their hashes (32 bytes each, in
    order), and the details of those that bind field history (seq to details JSON)."""

    first_seq: int
    hashes: bytes
    bound: dict[int, str]

    @property
    def last_seq(self) -> int:
        return self.first_seq + len(self.hashes) // 32 - 1

    def hash_of(self, seq: int) -> bytes:
        at = (seq - self.first_seq) * 32
        return self.hashes[at : at + 32]

    def hashes_from(self, start: int, stop: int) -> list[bytes]:
        """The hashes of events ``start`` to ``stop - 1``."""
        run = self.hashes[(start - self.first_seq) * 32 : (stop - self.first_seq) * 32]
        return [run[at : at + 32] for at in range(0, len(run), 32)]

    def before(self, seq: int) -> "Block":
        """The part of this block before event ``seq``."""
        hashes = self.hashes[: (seq - self.first_seq) * 32]
        return Block(self.first_seq, hashes, {at: details for at, details in self.bound.items() if at < seq})


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


def _sql_parts(name: str) -> tuple[str, str]:
    """How field ``name`` opens and closes in the canonical JSON, and the SQL for its value."""
    if name == "time":
        return '"', """to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    if name == "details":
        return "", "details_json"
    if name in NUMBERS:
        return "", f"coalesce({name}::text, 'null')"
    # Text holds no control characters (chain.plain_text), so JSON escapes only these two.
    return '"', f"""replace(replace({name}, '\\', '\\\\'), '"', '\\"')"""


def _canonical_sql() -> str:
    """One concat() of literal punctuation and field values: a single allocation per row."""
    pieces, pending = [], "["
    for index, name in enumerate(chain.FIELDS):
        quote, value = _sql_parts(name)
        pieces += ["'" + pending + quote + "'", value]
        pending = quote + ("," if index < len(chain.FIELDS) - 1 else "]")
    return "concat(" + ", ".join([*pieces, "'" + pending + "'"]) + ")"


CANONICAL_SQL = _canonical_sql()
ENTRY_HASH_SQL = f"sha256('\\x{chain.DOMAIN.hex()}'::bytea || prev_hash || int8send(seq) || sha256(convert_to({CANONICAL_SQL}, 'UTF8')))"
# One block of the chain as a few values: how many events it holds, their stored hashes and
# previous hashes (32 bytes each, in order), the first whose stored hash is not that of its own
# fields and place, and the details of those that bind field history.
BLOCK_SQL = (
    "SELECT count(*), string_agg(hash, ''::bytea ORDER BY seq), string_agg(prev_hash, ''::bytea ORDER BY seq), "  # noqa: S608
    f"min(seq) FILTER (WHERE {ENTRY_HASH_SQL} <> hash), "
    f"array_agg(seq ORDER BY seq) FILTER (WHERE action LIKE '{BOUND_PREFIX}%%'), "
    f"array_agg(details_json ORDER BY seq) FILTER (WHERE action LIKE '{BOUND_PREFIX}%%') "
    "FROM audit_auditevent WHERE seq >= %s AND seq <= %s"
)
BLOCK = 20_000
FETCHERS = 2
AHEAD = 2


class _Fetched(NamedTuple):
    events: int
    hashes: bytes
    prevs: bytes
    anomaly: int | None
    bound: dict[int, str]


def _fetch(low: int, high: int) -> _Fetched:
    with connection.cursor() as cursor:
        cursor.execute(BLOCK_SQL, [low, high])
        count, hashes, prevs, anomaly, bound_seqs, bound_details = cursor.fetchone()
    bound = dict(zip(bound_seqs or [], bound_details or [], strict=True))
    return _Fetched(count, bytes(hashes or b""), bytes(prevs or b""), anomaly, bound)


def _fetch_in_order(ranges: Sequence[tuple[int, int]]) -> Generator[_Fetched]:
    """Fetch each range's block, in order, from ``FETCHERS`` threads on their own connections.

    Inside a transaction other connections cannot see its rows, so there the blocks are fetched
    one after another on this connection.
    """
    if connection.in_atomic_block:
        yield from (_fetch(low, high) for low, high in ranges)
        return
    stop = threading.Event()
    lanes: list[queue.Queue[_Fetched | BaseException]] = [queue.Queue(maxsize=AHEAD) for _ in range(FETCHERS)]

    def deliver(lane: int, item: _Fetched | BaseException) -> None:
        while not stop.is_set():
            try:
                lanes[lane].put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def fetcher(lane: int) -> None:
        try:
            for low, high in islice(ranges, lane, None, FETCHERS):
                if stop.is_set():
                    return
                deliver(lane, _fetch(low, high))
        except BaseException as exc:  # handed to the reading thread, which raises it
            deliver(lane, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=fetcher, args=(lane,), daemon=True) for lane in range(FETCHERS)]
    for thread in threads:
        thread.start()
    try:
        for index in range(len(ranges)):
            item = lanes[index % FETCHERS].get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def _diagnose(expected: int, running: bytes) -> chain.Problem:
    """Explain the first problem at or after ``expected`` with the exact, pure-Python walk."""
    for item in chain.walk(links(expected), start_seq=expected, start_hash=running):
        if isinstance(item, chain.Problem):
            return item
    return chain.Problem(expected, chain.CHAIN_BROKEN, "it does not follow the event before it")


def _scan_postgresql(start_seq: int, start_hash: bytes) -> Iterator[Block]:
    last = AuditEvent.objects.filter(seq__gte=start_seq).order_by("-seq").values_list("seq", flat=True).first()
    if last is None:
        return
    ranges = [(low, min(low + BLOCK - 1, last)) for low in range(start_seq, last + 1, BLOCK)]
    running = start_hash
    blocks = _fetch_in_order(ranges)
    try:
        for (low, high), fetched in zip(ranges, blocks, strict=True):
            hashes, prevs = fetched.hashes, fetched.prevs
            block = Block(low, hashes, fetched.bound)
            # Every event present, each following the one before, each hash its own fields' hash.
            if (
                fetched.events != high - low + 1
                or prevs[:32] != running
                or prevs[32:] != hashes[:-32]
                or fetched.anomaly
            ):
                problem = _diagnose(low, running)
                if problem.seq > low:
                    yield block.before(problem.seq)
                raise BrokenChain(problem)
            yield block
            running = hashes[-32:]
    finally:
        blocks.close()


def _scan_python(start_seq: int, start_hash: bytes) -> Iterator[Block]:
    first, hashes, bound = start_seq, bytearray(), dict[int, str]()
    for item in chain.walk(links(start_seq), start_seq=start_seq, start_hash=start_hash):
        if isinstance(item, chain.Problem):
            if hashes:
                yield Block(first, bytes(hashes), bound)
            raise BrokenChain(item)
        hashes += item.hash
        values = json.loads(item.content)
        if values[ACTION_AT].startswith(BOUND_PREFIX):
            bound[item.seq] = chain.canonical_details(values[DETAILS_AT])
        if len(hashes) == CHUNK * 32:
            yield Block(first, bytes(hashes), bound)
            first, hashes, bound = item.seq + 1, bytearray(), {}
    if hashes:
        yield Block(first, bytes(hashes), bound)


def scan(start_seq: int = 1, start_hash: bytes = chain.GENESIS) -> Iterator[Block]:
    """Yield the events from ``start_seq`` in verified blocks; raise ``BrokenChain`` at the first
    problem, after yielding the events before it."""
    if connection.vendor == "postgresql":
        return _scan_postgresql(start_seq, start_hash)
    return _scan_python(start_seq, start_hash)

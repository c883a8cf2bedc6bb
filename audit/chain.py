"""The hash chain of audit events: the canonical form of an event and how events are linked.

Pure Python with no Django, so the offline verifier (``python -m audit.verify``) shares it.

Canonical form (version 1) of an event, the bytes its hash covers:
    the UTF-8 encoding of the compact JSON array of ``FIELDS`` in that order, written by
    ``json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
    allow_nan=False)``. Times are UTC with microseconds, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
    Absent text is ``""``; absent numbers are ``null``. ``details`` is a JSON object whose
    values are strings, integers, booleans, null, lists and objects only: floats are refused
    because a database's JSON type may not give back the same digits. Text fields hold no
    control characters (U+0000 to U+001F): ``plain_text`` replaces each with U+FFFD when an
    event is recorded, so the only characters their JSON escapes are ``"`` and ``\\``, and the
    database can rebuild the form cheaply (audit/reading.py).

Entry hash of event ``seq`` (1, 2, 3, ...):
    SHA-256( b"dhr-audit-event-v1\\x00" || prev_hash (32 bytes) || seq as 8-byte big-endian
             || SHA-256(canonical form) )
    where ``prev_hash`` is the entry hash of event ``seq - 1``, or 32 zero bytes for event 1.
So each hash fixes the event's fields, its position and everything before it; changing,
removing, inserting or reordering any event changes every hash after it.
"""

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = bytes(32)
DOMAIN = b"dhr-audit-event-v1\x00"
FIELDS = (
    "time",
    "actor_id",
    "actor_email",
    "actor_organisation",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "outcome",
    "ip",
    "user_agent",
    "request_id",
    "partnership_id",
    "details",
)
# How far either side of its place a moved event is looked for when explaining a break.
REORDER_WINDOW = 64


CONTROL_CHARACTERS = re.compile("[\x00-\x1f]")


class ChainError(ValueError):
    """An event cannot be put in canonical form."""


def format_time(moment: datetime) -> str:
    """Render an aware datetime in the canonical UTC form."""
    if moment.tzinfo is None:
        raise ChainError("audit times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def plain_text(value: str) -> str:
    """``value`` with each control character replaced by U+FFFD, as text fields are stored."""
    return CONTROL_CHARACTERS.sub("\ufffd", value)


def check_details(value: Any, path: str = "details") -> None:
    """Refuse details that would not survive storage byte for byte."""
    if value is None or isinstance(value, bool | int | str):
        if isinstance(value, str) and "\x00" in value:
            raise ChainError(f"{path} holds a NUL character")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_details(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ChainError(f"{path} has a key that is not a string: {key!r}")
            check_details(item, f"{path}.{key}")
        return
    raise ChainError(f"{path} holds a {type(value).__name__}; only str, int, bool, None, list and dict are allowed")


def canonical_details(details: Mapping[str, Any]) -> str:
    """The canonical JSON text of an event's details, as stored and as hashed."""
    return json.dumps(details, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def canonical(event: Mapping[str, Any]) -> bytes:
    """Return the canonical bytes of ``event`` (a mapping with every name in ``FIELDS``)."""
    return json.dumps(
        [event[name] for name in FIELDS], ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    ).encode("utf-8")


def entry_hash(prev_hash: bytes, seq: int, content: bytes) -> bytes:
    """Return the entry hash of the event at ``seq`` whose canonical bytes are ``content``."""
    return hashlib.sha256(DOMAIN + prev_hash + seq.to_bytes(8, "big") + hashlib.sha256(content).digest()).digest()


@dataclass(frozen=True)
class Link:
    """What the verifier needs of one stored event: its place, its hashes and its fields."""

    seq: int
    prev_hash: bytes
    hash: bytes
    content: bytes


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with a chain, with the sequence number where it shows."""

    seq: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"event {self.seq}: {self.kind}: {self.message}"


FIELD_ALTERED = "field altered"
EVENT_MISSING = "event missing"
EVENTS_REORDERED = "events reordered"
CHAIN_BROKEN = "chain broken"


def _intact(link: Link, seq: int) -> bool:
    return entry_hash(link.prev_hash, seq, link.content) == link.hash


def _belongs_at(link: Link) -> int | None:
    """Return the sequence number at which ``link``'s own fields hash correctly, if any nearby."""
    for seq in range(max(1, link.seq - REORDER_WINDOW), link.seq + REORDER_WINDOW + 1):
        if _intact(link, seq):
            return seq
    return None


def diagnose(link: Link, expected_seq: int, running_hash: bytes, following: Link | None) -> Problem | None:
    """Say what is wrong with ``link`` found where event ``expected_seq`` should be, if anything.

    ``running_hash`` is the verified hash of the event before; ``following`` is the next stored
    event, looked at only to tell a reordering from a removal.
    """
    if _intact(link, link.seq):
        if link.seq != expected_seq:
            if following is not None and following.seq == expected_seq:
                return Problem(expected_seq, EVENTS_REORDERED, f"event {link.seq} comes before it")
            return Problem(expected_seq, EVENT_MISSING, f"the next stored event is {link.seq}")
        if link.prev_hash == running_hash:
            return None
        if following is not None and following.prev_hash == running_hash:
            return Problem(expected_seq, EVENTS_REORDERED, "the events here are out of order")
        return Problem(expected_seq, CHAIN_BROKEN, "it does not follow the event before it")
    home = _belongs_at(link)
    if home is None or home == link.seq:
        return Problem(expected_seq, FIELD_ALTERED, "its fields do not match its hash")
    if following is not None and _intact(following, expected_seq):
        return Problem(expected_seq, EVENTS_REORDERED, f"the event stored here belongs at {home}")
    return Problem(expected_seq, EVENT_MISSING, f"the event stored here belongs at {home}")


def walk(links: Iterable[Link], *, start_seq: int = 1, start_hash: bytes = GENESIS) -> Iterator[Link | Problem]:
    """Yield each verified link in order, or the first problem found (and then stop)."""
    iterator = iter(links)
    current = next(iterator, None)
    expected, running = start_seq, start_hash
    while current is not None:
        following = next(iterator, None)
        problem = diagnose(current, expected, running, following)
        if problem is not None:
            yield problem
            return
        yield current
        expected, running = expected + 1, current.hash
        current = following

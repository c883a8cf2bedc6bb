"""Reading the stored chain back, quickly, for verification, checkpoints and export."""

from collections.abc import Iterator
from typing import Any

from audit import chain
from audit.models import AuditEvent

COLUMNS = ("seq", "prev_hash", "hash", *chain.FIELDS)
CHUNK = 5000


def stored_rows(start_seq: int = 1, end_seq: int | None = None) -> Iterator[tuple[Any, ...]]:
    """Yield raw rows of ``COLUMNS`` in sequence order, streaming from the database."""
    rows = AuditEvent.objects.filter(seq__gte=start_seq)
    if end_seq is not None:
        rows = rows.filter(seq__lte=end_seq)
    yield from rows.order_by("seq").values_list(*COLUMNS).iterator(chunk_size=CHUNK)


def fields_of(row: tuple[Any, ...]) -> dict[str, Any]:
    """The canonical fields of a raw row, with the time in canonical form."""
    fields = dict(zip(chain.FIELDS, row[3:], strict=True))
    fields["time"] = chain.format_time(fields["time"])
    return fields


def link_of(row: tuple[Any, ...]) -> chain.Link:
    return chain.Link(seq=row[0], prev_hash=bytes(row[1]), hash=bytes(row[2]), content=chain.canonical(fields_of(row)))


def links(start_seq: int = 1, end_seq: int | None = None) -> Iterator[chain.Link]:
    """Yield the stored events from ``start_seq`` as chain links."""
    return map(link_of, stored_rows(start_seq, end_seq))

"""The differences between two versions of an agency's chronology: entries added, removed and changed.

A returned version and its correction share most entries word for word, so the entries of each
version, in chronology order, are first matched whole with ``difflib`` (an entry is its content:
date, time, subject, source record, practitioner role, event, action or outcome and risk
indicators). What is left on each side is then paired where the two entries record the same
event: the same event text, or text close enough to be a correction of it (a ``difflib`` ratio of
at least ``SIMILAR``). A paired entry is shown as changed, with each field's old and new value;
the rest are added or removed. An event rewritten beyond recognition is shown as one entry
removed and one added, which is what it is.

Pairing compares every leftover entry of one side with every one of the other, so it is bounded
(``MAX_COMPARISONS``): beyond that, leftovers are paired only on identical event text.
"""

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

SIMILAR = 0.6
MAX_COMPARISONS = 40_000

# The compared fields, with the labels the page shows.
LABELS = {
    "date": "Date",
    "time": "Time",
    "subject": "Subject",
    "source_record": "Source record",
    "practitioner_role": "Practitioner role",
    "event": "Event",
    "action_or_outcome": "Action or outcome",
    "risk_indicators": "Risk indicators",
}


@dataclass(frozen=True)
class EntryContent:
    """What a version says in one entry, as shown; ``key`` places it in chronology order, ``ref`` names it."""

    key: str
    ref: int
    date: str
    time: str
    subject: str
    source_record: str
    practitioner_role: str
    event: str
    action_or_outcome: str
    risk_indicators: str

    @property
    def content(self) -> tuple[str, ...]:
        return tuple(getattr(self, name) for name in LABELS)


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


class Kind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class Difference:
    """One entry added, removed or changed; ``changes`` lists the changed fields of a changed entry."""

    kind: Kind
    old: EntryContent | None
    new: EntryContent | None
    changes: tuple[FieldChange, ...] = ()

    @property
    def key(self) -> str:
        shown = self.new or self.old
        return shown.key if shown is not None else ""


@dataclass(frozen=True)
class Differences:
    """Every difference in chronology order, and how many entries are the same in both versions."""

    items: tuple[Difference, ...]
    unchanged: int

    def count(self, kind: Kind) -> int:
        return sum(1 for item in self.items if item.kind is kind)

    @property
    def added(self) -> int:
        return self.count(Kind.ADDED)

    @property
    def removed(self) -> int:
        return self.count(Kind.REMOVED)

    @property
    def changed(self) -> int:
        return self.count(Kind.CHANGED)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _changes(old: EntryContent, new: EntryContent) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(label, getattr(old, name), getattr(new, name))
        for name, label in LABELS.items()
        if getattr(old, name) != getattr(new, name)
    )


def _likeness(old: EntryContent, new: EntryContent) -> tuple[float, int] | None:
    """How alike two entries are (their events' likeness, then equal fields), or ``None`` if not the same event."""
    a, b = _normal(old.event), _normal(new.event)
    if a == b:
        ratio = 1.0
    else:
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
            return None
        ratio = matcher.ratio()
        if ratio < SIMILAR:
            return None
    same = sum(1 for x, y in zip(old.content, new.content, strict=True) if x == y)
    return ratio, same


def _pair(removed: list[EntryContent], added: list[EntryContent]) -> list[tuple[EntryContent, EntryContent]]:
    """Pair leftover entries that record the same event, the most alike first."""
    if len(removed) * len(added) > MAX_COMPARISONS:
        waiting: dict[str, list[EntryContent]] = {}
        for entry in removed:
            waiting.setdefault(_normal(entry.event), []).append(entry)
        pairs = []
        for entry in added:
            same_event = waiting.get(_normal(entry.event))
            if same_event:
                pairs.append((same_event.pop(0), entry))
        return pairs
    candidates = []
    for i, old in enumerate(removed):
        for j, new in enumerate(added):
            likeness = _likeness(old, new)
            if likeness is not None:
                candidates.append((likeness, i, j))
    candidates.sort(key=lambda candidate: (-candidate[0][0], -candidate[0][1], candidate[1], candidate[2]))
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((removed[i], added[j]))
    return pairs


def compare(old: Sequence[EntryContent], new: Sequence[EntryContent]) -> Differences:
    """Return the differences from the ``old`` version's entries to the ``new`` one's, both in chronology order."""
    matcher = difflib.SequenceMatcher(None, [e.content for e in old], [e.content for e in new], autojunk=False)
    removed: list[EntryContent] = []
    added: list[EntryContent] = []
    unchanged = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            unchanged += i2 - i1
            continue
        removed += old[i1:i2]
        added += new[j1:j2]
    pairs = _pair(removed, added)
    paired_old = {id(a) for a, _ in pairs}
    paired_new = {id(b) for _, b in pairs}
    items = []
    for a, b in pairs:
        changes = _changes(a, b)
        if changes:
            items.append(Difference(Kind.CHANGED, a, b, changes))
        else:
            # The same entry in another place among entries of the same moment: nothing to show.
            unchanged += 1
    items += [Difference(Kind.REMOVED, entry, None) for entry in removed if id(entry) not in paired_old]
    items += [Difference(Kind.ADDED, None, entry) for entry in added if id(entry) not in paired_new]
    items.sort(key=lambda item: (item.key, item.kind != Kind.REMOVED))
    return Differences(tuple(items), unchanged)

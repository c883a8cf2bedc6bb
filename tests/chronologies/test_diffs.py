"""The differences between two versions of a chronology: matched whole, then paired by their event."""

from dataclasses import replace
from typing import Any

from dhr_tracker.chronologies import diffs
from dhr_tracker.chronologies.diffs import EntryContent, FieldChange, Kind


def entry(n: int, **changes: Any) -> EntryContent:
    values: dict[str, Any] = {
        "key": f"2019{n:04d}",
        "ref": n,
        "date": f"{n} Mar 2019",
        "time": "",
        "subject": "Victim",
        "source_record": f"REF-{n}",
        "practitioner_role": "Health visitor",
        "event": f"Home visit number {n}: the victim spoke of arguments at home",
        "action_or_outcome": "",
        "risk_indicators": "",
    }
    values.update(changes)
    return EntryContent(**values)


VERSION_1 = [entry(n) for n in range(1, 8)]


def test_the_same_entries_show_no_difference() -> None:
    copy = [replace(item, ref=item.ref + 100) for item in VERSION_1]
    result = diffs.compare(VERSION_1, copy)
    assert result.items == ()
    assert result.unchanged == 7


def test_a_corrected_entry_is_shown_changed_with_each_field_old_and_new() -> None:
    corrected = replace(VERSION_1[3], action_or_outcome="Referred to MARAC", risk_indicators="MARAC referral")
    result = diffs.compare(VERSION_1, [*VERSION_1[:3], corrected, *VERSION_1[4:]])

    assert (result.changed, result.added, result.removed, result.unchanged) == (1, 0, 0, 6)
    (item,) = result.items
    assert item.kind is Kind.CHANGED
    assert (item.old, item.new) == (VERSION_1[3], corrected)
    assert item.changes == (
        FieldChange("Action or outcome", "", "Referred to MARAC"),
        FieldChange("Risk indicators", "", "MARAC referral"),
    )


def test_an_entry_whose_date_moved_it_elsewhere_is_still_one_changed_entry() -> None:
    moved = replace(VERSION_1[1], key="20190099", date="30 Mar 2019")
    new = [VERSION_1[0], *VERSION_1[2:], moved]

    result = diffs.compare(VERSION_1, new)

    assert (result.changed, result.added, result.removed) == (1, 0, 0)
    assert result.items[0].changes == (FieldChange("Date", "2 Mar 2019", "30 Mar 2019"),)


def test_a_small_correction_of_the_event_pairs_but_a_different_event_does_not() -> None:
    typo = replace(VERSION_1[2], event=VERSION_1[2].event.replace("arguments", "argument"))
    other = replace(VERSION_1[4], event="Police called by a neighbour; nobody answered the door")
    result = diffs.compare(VERSION_1, [*VERSION_1[:2], typo, VERSION_1[3], other, *VERSION_1[5:]])

    kinds = [(item.kind, (item.old or item.new).ref) for item in result.items]  # type: ignore[union-attr]
    assert kinds == [(Kind.CHANGED, 3), (Kind.REMOVED, 5), (Kind.ADDED, 5)]
    assert result.unchanged == 5


def test_added_and_removed_entries_are_listed_in_chronology_order() -> None:
    new = [
        entry(0, event="Seen at the GP surgery for a sprained wrist"),
        *VERSION_1[:5],
        entry(9, event="Missed appointment"),
    ]
    result = diffs.compare(VERSION_1, new)

    assert [(item.kind, item.key) for item in result.items] == [
        (Kind.ADDED, "20190000"),
        (Kind.REMOVED, "20190006"),
        (Kind.REMOVED, "20190007"),
        (Kind.ADDED, "20190009"),
    ]
    assert (result.added, result.removed, result.changed, result.unchanged) == (2, 2, 0, 5)


def test_the_same_entry_in_another_place_among_its_moment_is_not_a_difference() -> None:
    """An import may give same-day entries other positions: with the same content, nothing changed."""
    a, b = entry(1, key="2019a"), entry(2, key="2019a", event="Second visit the same day")
    new = [replace(b, key="2019a1"), replace(a, key="2019a2")]
    result = diffs.compare([a, b], new)
    assert result.items == ()
    assert result.unchanged == 2


def test_pairing_is_bounded_for_large_rewrites() -> None:
    """Beyond the bound only identical events pair, so a rewrite of thousands of entries stays quick."""
    old = [entry(n) for n in range(300)]
    new = [replace(item, key=item.key + "x", date="1 Jan 2020") for item in old[:150]]
    new += [entry(n, event=f"Rewritten {n}") for n in range(150, 300)]
    assert len(old) * len(new) > diffs.MAX_COMPARISONS

    result = diffs.compare(old, new)

    assert (result.changed, result.added, result.removed) == (150, 150, 150)

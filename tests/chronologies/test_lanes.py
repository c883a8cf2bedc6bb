"""The combined chronology's lanes: well-formed, escaped, accessible SVG that stays small at 100,000 entries."""

import random
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string

from dhr_tracker.chronologies import binning, lanes
from dhr_tracker.chronologies.binning import LaneEntry, LanePause
from dhr_tracker.chronologies.lanes import LanesError
from sharing.dates import add_months

SVG = "{http://www.w3.org/2000/svg}"
NOBODY: list[LanePause] = []


def parse(svg: str) -> ET.Element:
    """Parse the SVG as XML, which fails unless it is well-formed."""
    return ET.fromstring(svg)  # noqa: S314 (our own output, built in the test)


def has_class(css: str) -> Callable[[ET.Element], bool]:
    return lambda element: css in (element.get("class") or "").split()


def find_all(root: ET.Element, css: str) -> list[ET.Element]:
    return [element for element in root.iter() if has_class(css)(element)]


def tooltip(element: ET.Element) -> str:
    return element.findtext(f"{SVG}title") or ""


def texts(root: ET.Element, css: str) -> list[str]:
    """The words shown by the text elements with the class ``css`` (without their tooltips)."""
    return [
        (element.text or "") + "".join(child.tail or "" for child in element)
        for element in root.iter(f"{SVG}text")
        if element.get("class") == css
    ]


def lane_groups(root: ET.Element, css: str) -> list[ET.Element]:
    """The marks of each lane's group with the class ``css``, lane by lane (the key's group left out)."""
    return [group for group in find_all(root, css) if group.get("transform")]


def day(agency: str, on: date, label: str = "Seen at home", *, significant: bool = False) -> LaneEntry:
    return LaneEntry(agency, on, on, label, significant)


def month(agency: str, first: date, label: str = "Referral", *, significant: bool = False) -> LaneEntry:
    return LaneEntry(agency, first, add_months(first, 1) - timedelta(days=1), label, significant)


def year(agency: str, of: int, label: str = "Known to services", *, significant: bool = False) -> LaneEntry:
    return LaneEntry(agency, date(of, 1, 1), date(of, 12, 31), label, significant)


def stands_for(element: ET.Element) -> int:
    """How many entries a mark's tooltip says it stands for."""
    found = re.match(r"([\d,]+) entries", tooltip(element))
    return int(found.group(1).replace(",", "")) if found else 1


def counted_by_lane(root: ET.Element) -> list[int]:
    """The number of entries each lane's marks stand for, from their tooltips."""
    dots, bars = lane_groups(root, "app-lanes__dots"), lane_groups(root, "app-lanes__bars")
    significant = lane_groups(root, "app-lanes__diamonds")
    return [
        sum(stands_for(mark) for mark in [*dot_group, *bar_group])
        + sum(1 for mark in sig_group if has_class("app-lanes__significant")(mark))
        for dot_group, bar_group, sig_group in zip(dots, bars, significant, strict=True)
    ]


SMALL = [
    day("Police", date(2019, 3, 3), "Called to a disturbance"),
    month("Police", date(2019, 5, 1), "Intelligence report"),
    day("Police", date(2019, 7, 14), "Threats to kill", significant=True),
    day("Adult social care", date(2019, 4, 9)),
    year("GP surgery", 2019),
    month("GP surgery", date(2019, 9, 1), "Prescribed antidepressants", significant=True),
]


def test_lanes_are_well_formed_accessible_svg() -> None:
    root = parse(str(lanes.build(SMALL, NOBODY, title="Combined chronology of DHR-2024-001").svg))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    assert root.findtext(f"{SVG}title[@id='{title_id}']") == "Combined chronology of DHR-2024-001"
    description = root.findtext(f"{SVG}desc[@id='{desc_id}']") or ""
    assert description.startswith("6 entries from 3 agencies, one lane each, from 1 January 2019 to 31 December 2019.")
    assert "grouped by week" in description
    assert "2 significant entries are marked with diamonds." in description
    assert "The tables after the picture" in description
    assert "pause" not in description.split(". The tables")[0]
    # Colours come from classes: the CSP forbids style attributes.
    assert all(element.get("style") is None for element in root.iter())


def test_ids_belong_to_one_figure_and_are_stable() -> None:
    """Two figures on one page never share an id, and the same figure is drawn the same way each time."""
    first = lanes.build(SMALL, NOBODY, title="Combined chronology").svg
    other = lanes.build(SMALL[:3], NOBODY, title="Combined chronology").svg
    ids = set(re.findall(r'id="([^"]+)"', first))
    assert len(ids) == 3
    assert ids.isdisjoint(re.findall(r'id="([^"]+)"', other))
    assert lanes.build(SMALL, NOBODY, title="Combined chronology").svg == first
    # The pause hatching names this figure's own pattern.
    assert all(f"url(#{ident})" in first for ident in ids if ident.endswith("-hatch"))


def test_a_lane_per_agency_in_name_order() -> None:
    entries = [day(name, date(2020, 1, 2)) for name in ["police", "Adult social care", "GP surgery", "Police"]]
    built = lanes.build(entries, NOBODY, title="Chronology")
    assert texts(parse(str(built.svg)), "app-lanes__lane-label") == [
        "Adult social care",
        "GP surgery",
        "Police",
        "police",
    ]
    assert [row.agency for row in built.rows] == ["Adult social care", "GP surgery", "Police", "police"]
    assert len(lane_groups(parse(str(built.svg)), "app-lanes__dots")) == 4


def test_lane_labels_say_the_counts_and_keep_long_names_whole_in_the_tooltip() -> None:
    long_name = "Greater Manchester Mental Health NHS Foundation Trust"
    root = parse(str(lanes.build([day(long_name, date(2020, 1, 2), significant=True)], NOBODY, title="C").svg))
    label = next(element for element in root.iter(f"{SVG}text") if element.get("class") == "app-lanes__lane-label")
    assert tooltip(label) == f"{long_name}: 1 entry, 1 significant"
    assert texts(root, "app-lanes__lane-label") == ["Greater Manchester Mental Hea\u2026"]
    assert texts(root, "app-lanes__lane-note") == ["1 entry, 1 significant"]


def test_an_entry_of_one_day_is_a_dot_and_of_a_month_or_year_a_bar_spanning_it() -> None:
    root = parse(str(lanes.build(SMALL, NOBODY, title="C").svg))
    adult, gp, police = ([tooltip(mark) for mark in dots] for dots in lane_groups(root, "app-lanes__dots"))
    assert adult == ["9 April 2019: Seen at home"]
    assert gp == []
    assert police == ["3 March 2019: Called to a disturbance"]
    adult_bars, gp_bars, police_bars = lane_groups(root, "app-lanes__bars")
    assert list(adult_bars) == []
    assert [tooltip(bar) for bar in gp_bars] == ["2019: Known to services"]
    assert [tooltip(bar) for bar in police_bars] == ["May 2019: Intelligence report"]
    # The axis is the whole of 2019, so the year spans the plot and May its share of it.
    year_bar, may_bar = gp_bars[0], police_bars[0]
    assert float(year_bar.get("x") or 0) == pytest.approx(lanes.PLOT_LEFT)
    assert float(year_bar.get("width") or 0) == pytest.approx(lanes.PLOT_RIGHT - lanes.PLOT_LEFT, abs=0.1)
    per_day = (lanes.PLOT_RIGHT - lanes.PLOT_LEFT) / 365
    assert float(may_bar.get("x") or 0) == pytest.approx(lanes.PLOT_LEFT + 120 * per_day, abs=0.1)
    assert float(may_bar.get("width") or 0) == pytest.approx(31 * per_day, abs=0.1)


def test_significant_entries_are_diamonds_marked_in_words() -> None:
    root = parse(str(lanes.build(SMALL, NOBODY, title="C").svg))
    marks = [mark for mark in find_all(root, "app-lanes__significant") if tooltip(mark)]
    assert [(mark.tag, tooltip(mark)) for mark in marks] == [
        (f"{SVG}g", "Significant: September 2019: Prescribed antidepressants"),
        (f"{SVG}polygon", "Significant: 14 July 2019: Threats to kill"),
    ]
    # A significant month keeps its bar and gains a diamond; neither is merged into the dots or bars.
    assert [child.tag for child in marks[0]] == [f"{SVG}title", f"{SVG}rect", f"{SVG}polygon"]
    assert has_class("app-lanes__significant--period")(marks[0])
    assert all("Significant" not in tooltip(mark) for group in lane_groups(root, "app-lanes__dots") for mark in group)
    assert texts(root, "app-lanes__key-label")[2] == "Significant"


def test_more_significant_entries_than_the_cap_are_spread_counted_and_sent_to_the_table() -> None:
    extra = 5
    entries = [
        day("Police", date(2019, 1, 1) + timedelta(days=index), f"Incident {index}", significant=True)
        for index in range(binning.SIGNIFICANT_CAP + extra)
    ]
    built = lanes.build(entries, NOBODY, title="C")
    root = parse(str(built.svg))
    drawn = [tooltip(mark) for mark in find_all(root, "app-lanes__significant") if tooltip(mark)]
    assert len(drawn) == binning.SIGNIFICANT_CAP
    assert drawn[0].endswith("Incident 0")
    assert drawn[-1].endswith(f"Incident {binning.SIGNIFICANT_CAP + extra - 1}")
    assert texts(root, "app-lanes__lane-note") == [
        f"{binning.SIGNIFICANT_CAP + extra} entries, {binning.SIGNIFICANT_CAP + extra} significant",
        f"{extra} more in the table only",
    ]
    # The undrawn ones are still in the picture, as dots (one a day here) that say they are significant.
    (dots,) = lane_groups(root, "app-lanes__dots")
    assert len(dots) == extra
    assert all(tooltip(dot).startswith("Significant: ") for dot in dots)
    assert counted_by_lane(root) == [len(entries)]
    assert f"except {extra} listed in the table only" in (root.findtext(f"{SVG}desc") or "")
    assert len(built.significant) == len(entries)


def test_entries_in_one_bin_become_one_mark_that_says_how_many() -> None:
    monday = date(2019, 3, 4)
    entries = [day("Police", monday + timedelta(days=offset), f"Visit {offset}") for offset in range(7)]
    entries += [day("Police", date(2019, 3, 11)), day("Police", date(2019, 12, 1), significant=True)]
    entries += [month("Police", date(2019, 3, 1)), month("Police", date(2019, 3, 1)), year("Police", 2019)]
    root = parse(str(lanes.build(entries, NOBODY, title="C").svg))
    assert "grouped by week" in (root.findtext(f"{SVG}desc") or "")
    (dots,) = lane_groups(root, "app-lanes__dots")
    assert [tooltip(dot) for dot in dots] == ["7 entries, in the week of 4 March 2019", "11 March 2019: Seen at home"]
    assert float(dots[0].get("r") or 0) > float(dots[1].get("r") or 0)
    (bars,) = lane_groups(root, "app-lanes__bars")
    # Imprecise entries are grouped by the bin their period starts in: 1 January 2019 and 1 March 2019.
    assert [tooltip(bar) for bar in bars] == ["2019: Known to services", "2 entries, dated March 2019"]
    assert counted_by_lane(root) == [len(entries)]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2019, 3, 3), date(2019, 3, 3), ["Mar 2019", "Apr 2019"]),
        (
            date(2019, 1, 15),
            date(2019, 6, 2),
            ["Jan 2019", "Feb 2019", "Mar 2019", "Apr 2019", "May 2019", "Jun 2019", "Jul 2019"],
        ),
        (date(2015, 6, 1), date(2019, 2, 1), ["2015", "2016", "2017", "2018", "2019", "2020"]),
    ],
)
def test_axis_ticks_are_months_under_three_years_and_years_beyond(first: date, last: date, expected: list[str]) -> None:
    root = parse(str(lanes.build([day("Police", first), day("Police", last)], NOBODY, title="C").svg))
    assert texts(root, "app-lanes__tick-label") == expected


@pytest.mark.parametrize(
    ("span_days", "thinned"),
    [(60, False), (400, True), (1000, True), (1094, True), (3000, False), (12000, True), (30000, True)],
)
def test_tick_labels_are_thinned_so_they_never_overlap(span_days: int, thinned: bool) -> None:
    first = date(1990, 1, 1)
    root = parse(
        str(lanes.build([day("GP", first), day("GP", first + timedelta(days=span_days))], NOBODY, title="C").svg)
    )
    labels = [element for element in root.iter(f"{SVG}text") if element.get("class") == "app-lanes__tick-label"]
    grid = [element for element in root.iter(f"{SVG}line") if element.get("class") == "app-lanes__grid"]
    positions = [float(label.get("x") or 0) for label in labels]
    widths = [len(label.text or "") * binning.CHAR_WIDTH for label in labels]
    for left, right, width in zip(positions, positions[1:], widths, strict=False):
        assert right - left >= width
    assert (len(labels) < len(grid)) is thinned
    assert positions[0] == pytest.approx(lanes.PLOT_LEFT)


def test_pauses_are_shaded_across_every_lane_and_named_with_their_reason() -> None:
    pauses = [
        (date(2019, 2, 1), date(2019, 3, 1), "Criminal investigation or trial"),
        LanePause(date(2019, 11, 1), None, "Inquest"),
        (date(2021, 1, 1), date(2021, 2, 1), "IOPC investigation"),
    ]
    built = lanes.build(SMALL, pauses, title="C")
    root = parse(str(built.svg))
    shades = find_all(root, "app-lanes__pause-shade")
    assert len(shades) == 2
    assert float(shades[0].get("y") or 0) == lanes.AXIS_HEIGHT
    # Three agency lanes and the pause lane.
    assert float(shades[0].get("height") or 0) == 4 * lanes.LANE_HEIGHT
    bands = [tooltip(rect) for rect in find_all(root, "app-lanes__pause") if tooltip(rect)]
    assert bands == [
        "Paused: Criminal investigation or trial, from 1 February 2019 to 1 March 2019",
        "Paused: Inquest, from 1 November 2019, not ended",
    ]
    # The open pause is shaded to the end of the axis.
    inquest = shades[1]
    assert float(inquest.get("x") or 0) + float(inquest.get("width") or 0) == pytest.approx(lanes.PLOT_RIGHT, abs=0.1)
    assert texts(root, "app-lanes__pause-label") == ["Crimin\u2026", "Inquest"]
    assert "Review paused" in texts(root, "app-lanes__lane-label")
    assert "2 pauses of the review are shaded; 1 more falls outside these dates." in (root.findtext(f"{SVG}desc") or "")
    assert [(row.reason, row.start, row.end) for row in built.pauses] == [
        ("Criminal investigation or trial", "1 February 2019", "1 March 2019"),
        ("Inquest", "1 November 2019", "Not ended"),
        ("IOPC investigation", "1 January 2021", "1 February 2021"),
    ]


def test_without_pauses_in_range_there_is_no_pause_lane() -> None:
    root = parse(str(lanes.build(SMALL, [(date(2030, 1, 1), None, "Inquest")], title="C").svg))
    assert find_all(root, "app-lanes__pause-shade") == []
    assert "Review paused" not in texts(root, "app-lanes__lane-label")
    assert "0 pauses of the review are shaded; 1 more falls outside these dates." in (root.findtext(f"{SVG}desc") or "")


def test_text_typed_by_people_is_escaped() -> None:
    agency = "<script>alert(1)</script> Health & Care"
    label = 'Said "I\'ll <b>hurt</b> you" & left'
    entries = [day(agency, date(2019, 5, 1), label, significant=True), day(agency, date(2019, 5, 2), label)]
    pauses = [(date(2019, 5, 1), date(2019, 5, 2), "Trial <img src=x onerror=alert(1)> & appeal")]
    built = lanes.build(entries, pauses, title="Chronology of <i>DHR</i> & co")
    svg = str(built.svg)
    root = parse(svg)
    assert not [
        element for element in root.iter() if element.tag in {f"{SVG}{tag}" for tag in ("script", "b", "img", "i")}
    ]
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Health &amp; Care" in svg
    assert root.findtext(f"{SVG}title") == "Chronology of <i>DHR</i> & co"
    assert f"Significant: 1 May 2019: {label}" in [tooltip(mark) for mark in find_all(root, "app-lanes__significant")]
    assert any(tooltip(mark) == f"2 May 2019: {label}" for mark in root.iter(f"{SVG}circle"))
    assert "Paused: Trial <img src=x onerror=alert(1)> & appeal, from 1 May 2019 to 2 May 2019" in [
        tooltip(rect) for rect in find_all(root, "app-lanes__pause")
    ]
    html = render_to_string("chronologies/lanes.html", {"lanes": built})
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Health &amp; Care" in html
    assert "Said &quot;I&#x27;ll &lt;b&gt;hurt&lt;/b&gt; you&quot; &amp; left" in html


def test_rows_summarise_each_agency_and_list_every_significant_entry() -> None:
    built = lanes.build(SMALL, NOBODY, title="C")
    assert [(r.agency, r.entries, r.significant, r.first, r.last) for r in built.rows] == [
        ("Adult social care", 1, 0, "9 April 2019", "9 April 2019"),
        ("GP surgery", 2, 1, "2019", "2019"),
        ("Police", 3, 1, "3 March 2019", "14 July 2019"),
    ]
    assert [(r.on, r.agency, r.label) for r in built.significant] == [
        ("14 July 2019", "Police", "Threats to kill"),
        ("September 2019", "GP surgery", "Prescribed antidepressants"),
    ]


def test_the_template_gives_the_picture_and_its_tables() -> None:
    built = lanes.build(SMALL, [(date(2019, 2, 1), None, "Inquest")], title="Combined chronology")
    html = render_to_string("chronologies/lanes.html", {"lanes": built})
    assert str(built.svg) in html
    assert html.count('<th scope="row" class="govuk-table__header">') == 3
    assert "Prescribed antidepressants" in html
    assert "Not ended" in html
    assert "A row for every entry would be too long to use" in html
    assert " style=" not in html


def test_no_entries_draws_a_sentence_and_no_rows() -> None:
    built = lanes.build([], [(date(2019, 2, 1), None, "Inquest")], title="Combined chronology")
    root = parse(str(built.svg))
    assert root.findtext(f"{SVG}desc") == "There are no entries to draw yet."
    assert (built.rows, built.significant) == ([], [])
    assert "There are no entries yet." in render_to_string("chronologies/lanes.html", {"lanes": built})


def test_an_entry_that_ends_before_it_starts_is_refused() -> None:
    backwards = LaneEntry("Police", date(2019, 5, 2), date(2019, 5, 1), "Arrest", False)
    with pytest.raises(LanesError) as refused:
        lanes.build([*SMALL, backwards], NOBODY, title="C")
    assert str(refused.value) == (
        "The entry \u201cArrest\u201d of Police ends (1 May 2019) before it starts (2 May 2019). Correct its date."
    )


def test_an_entry_without_an_agency_is_refused() -> None:
    with pytest.raises(LanesError) as refused:
        lanes.build([day("  ", date(2019, 5, 1), "Arrest")], NOBODY, title="C")
    assert str(refused.value) == "The entry \u201cArrest\u201d has no agency. Say which agency it is from."


def test_a_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(LanesError) as refused:
        lanes.build(SMALL, [(date(2019, 5, 2), date(2019, 5, 1), "Inquest")], title="C")
    assert str(refused.value) == (
        "The pause for Inquest ends (1 May 2019) before it starts (2 May 2019). Correct its dates."
    )


def synthetic(agencies: int, per_agency: int, first: date, days: int) -> list[LaneEntry]:
    """Entries spread over ``days`` days: one in ten dated to a month, one in a hundred to a year, 1% significant."""
    rng = random.Random(6)
    entries = []
    for agency in range(agencies):
        name = f"Agency {agency:02d}"
        for index in range(per_agency):
            on = first + timedelta(days=rng.randrange(days))
            label = f"Entry {index}: " + "contact recorded with a long description " * 5
            significant = index % 97 == 0
            if index % 100 == 1:
                entries.append(year(name, on.year, label, significant=significant))
            elif index % 10 == 0:
                entries.append(month(name, date(on.year, on.month, 1), label, significant=significant))
            else:
                entries.append(day(name, on, label, significant=significant))
    return entries


def test_100000_entries_are_aggregated_into_a_small_svg(record_property: Callable[[str, object], None]) -> None:
    """20 agencies x 5,000 entries over six years, the heaviest kind of span (month bins, every bin full).

    Six calendar years is 72 months, the most under MAX_BINS, so every lane has a dot and a bar in
    every bin, and 52 significant entries, more than the cap. The build time is recorded as a
    test property, not asserted.
    """
    entries = synthetic(20, 5000, date(2018, 1, 1), 6 * 365)
    started = time.perf_counter()
    built = lanes.build(entries, [(date(2020, 3, 1), None, "Inquest")], title="Combined chronology")
    record_property("build_seconds", round(time.perf_counter() - started, 3))
    svg = str(built.svg)
    record_property("svg_bytes", len(svg.encode()))
    assert len(svg.encode()) < lanes.SVG_BUDGET_BYTES
    root = parse(svg)
    assert "grouped by month" in (root.findtext(f"{SVG}desc") or "")
    dots, bars = lane_groups(root, "app-lanes__dots"), lane_groups(root, "app-lanes__bars")
    assert len(dots) == len(bars) == 20
    for dot_group, bar_group in zip(dots, bars, strict=True):
        assert len(dot_group) + len(bar_group) <= 2 * binning.MAX_BINS
    significant = [mark for mark in find_all(root, "app-lanes__significant") if tooltip(mark)]
    per_lane = sum(1 for entry in entries if entry.significant and entry.agency == "Agency 00")
    assert per_lane > binning.SIGNIFICANT_CAP
    assert len(significant) == 20 * binning.SIGNIFICANT_CAP
    assert (
        texts(root, "app-lanes__lane-note").count(f"{per_lane - binning.SIGNIFICANT_CAP} more in the table only") == 20
    )
    # Every entry is in the picture once, whether drawn alone or counted in a mark.
    assert counted_by_lane(root) == [5000] * 20
    assert sum(row.entries for row in built.rows) == len(entries)
    assert sum(row.significant for row in built.rows) == len(built.significant) == 20 * per_lane

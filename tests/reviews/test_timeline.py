"""The review timeline: stages, pauses, deadlines and today, as well-formed, escaped SVG and as rows."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from dhr_tracker.reviews import schedule, timeline
from dhr_tracker.reviews.models import Meeting, MeetingAction, Review
from dhr_tracker.reviews.services import steps
from dhr_tracker.reviews.timeline import Timeline
from sharing.dates import add_months
from tests.reviews.conftest import ReviewWorld

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def draw(world: ReviewWorld, today: date | None = None) -> Timeline:
    """Build the timeline as the overview page does."""
    today = today or timezone.localdate()
    review = schedule.with_schedule(Review.objects.filter(pk=world.review.pk)).get()
    status = schedule.status_of(review, today)
    return timeline.build(review, status, list(review.steps.all()), list(review.pauses.all()), today)


def pause(world: ReviewWorld, *, started_on: date, body: str = "Crown Court") -> None:
    steps.pause_review(
        world.refresh(),
        actor=world.personas.csp_chair,
        reason="criminal_trial",
        body=body,
        reference="T20260001",
        started_on=started_on,
        expected_end_on=None,
        requested_by=world.personas.coordinator,
        rationale="The trial must finish first",
        version=None,
        request=None,
    )


def end_pause(world: ReviewWorld, *, ended_on: date) -> None:
    steps.end_pause(
        world.refresh(), actor=world.personas.csp_chair, ended_on=ended_on, outcome="", version=None, request=None
    )


def parse(svg: str) -> ET.Element:
    """Parse the SVG as XML, which fails unless it is well-formed."""
    return ET.fromstring(svg)  # noqa: S314 (our own output, built in the test)


def titles(root: ET.Element, css: str) -> list[str]:
    """The tooltips of the shapes with the class ``css``."""
    return [
        element.findtext(f"{SVG}title") or "" for element in root.iter() if css in (element.get("class") or "").split()
    ]


def texts(root: ET.Element, css: str) -> list[str]:
    """The words shown by the text elements with the class ``css`` (without their tooltips)."""
    return [
        (element.text or "") + "".join(child.tail or "" for child in element)
        for element in root.iter(f"{SVG}text")
        if element.get("class") == css
    ]


@pytest.fixture
def paused_world(review_world: ReviewWorld) -> ReviewWorld:
    """Set up, paused for 5 days for a trial, resumed, then paused again 5 days ago; a meeting action due in 3 days."""
    today = timezone.localdate()
    review_world.in_setup()
    pause(review_world, started_on=today - timedelta(days=15), body="<script>alert(1)</script> Crown Court")
    end_pause(review_world, ended_on=today - timedelta(days=10))
    pause(review_world, started_on=today - timedelta(days=5))
    meeting = Meeting.objects.create(
        review=review_world.review, held_on=today - timedelta(days=12), recorded_by=review_world.personas.coordinator
    )
    MeetingAction.objects.create(
        meeting=meeting,
        text="Send <b>records</b> & chronology",
        owner=review_world.panel_member,
        due_on=today + timedelta(days=3),
    )
    return review_world


def test_timeline_is_well_formed_accessible_svg(paused_world: ReviewWorld) -> None:
    root = parse(str(draw(paused_world).svg))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    assert root.find(f"{SVG}title[@id='{title_id}']") is not None
    assert root.findtext(f"{SVG}title") == f"Timeline of {paused_world.review.reference}"
    description = root.findtext(f"{SVG}desc[@id='{desc_id}']") or ""
    assert "The review is now paused" in description
    assert "table after the picture" in description
    # Colours come from classes: the CSP forbids style attributes.
    assert all(element.get("style") is None for element in root.iter())


def test_timeline_has_a_band_for_every_stage_entered(paused_world: ReviewWorld) -> None:
    root = parse(str(draw(paused_world).svg))
    stages = [title.split(":")[0] for title in titles(root, "app-timeline__stage")]
    assert stages == [
        "Notified",
        "Scoping",
        "Awaiting decision",
        "Commissioned",
        "Setting up",
        "Setting up",
        "Paused",
        "Paused",
    ]
    labels = texts(root, "app-timeline__lane-label")
    assert labels[:7] == ["Death", "Notified", "Scoping", "Awaiting decision", "Commissioned", "Setting up", "Paused"]


def test_the_stage_changes_on_the_dates_of_the_facts(paused_world: ReviewWorld) -> None:
    """A decision or pause recorded later than it happened is drawn on the day it happened."""
    today = timezone.localdate()
    rows = [(row.on, row.what) for row in draw(paused_world).rows if row.what.startswith("Stage:")]
    assert (today - timedelta(days=15), "Stage: Paused") in rows
    assert (today - timedelta(days=10), "Stage: Setting up") in rows
    assert (today - timedelta(days=5), "Stage: Paused") in rows
    # Steps recorded today but before the first pause happened by its start.
    decided_on = paused_world.refresh().decided_on
    assert (decided_on, "Stage: Scoping") in rows
    assert (today - timedelta(days=15), "Stage: Setting up") in rows


def test_pauses_are_shaded_and_labelled_with_their_reason(paused_world: ReviewWorld) -> None:
    today = timezone.localdate()
    root = parse(str(draw(paused_world).svg))
    pauses = titles(root, "app-timeline__pause")
    assert pauses[0].startswith("Paused: Criminal investigation or trial (<script>alert(1)</script> Crown Court)")
    assert f"to {(today - timedelta(days=10)).day} " in pauses[0]
    assert pauses[1].endswith("to today (not ended)")
    assert texts(root, "app-timeline__lane-label").count("Paused: Criminal investigation or trial") == 2
    assert len([e for e in root.iter(f"{SVG}rect") if e.get("class") == "app-timeline__pause-shade"]) == 2
    # The hatching is a pattern, so the pause does not rest on colour alone.
    assert all(
        (e.get("fill") or "").startswith("url(#app-timeline-")
        for e in root.iter(f"{SVG}rect")
        if e.get("class") == "app-timeline__pause"
    )


def test_text_typed_by_people_is_escaped(paused_world: ReviewWorld) -> None:
    svg = str(draw(paused_world).svg)
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "<b>" not in svg
    assert "Send &lt;b&gt;records&lt;/b&gt; &amp; chronology" in svg


def test_deadlines_are_marked_with_their_status_in_words(paused_world: ReviewWorld) -> None:
    root = parse(str(draw(paused_world).svg))
    markers = {e.get("class"): e.findtext(f"{SVG}title") for e in root.iter(f"{SVG}polygon")}
    assert (markers["app-timeline__marker app-timeline__marker--complete"] or "").startswith(
        "CSP chair's decision: Done"
    )
    assert (markers["app-timeline__marker app-timeline__marker--amber"] or "").startswith(
        "Meeting action: Send <b>records</b> & chronology: Due soon"
    )
    captions = texts(root, "app-timeline__caption")
    # The completion target waits on the open pause: no marker, but said in words.
    assert "On hold while the review is paused" in captions
    assert not [c for c in markers if c and "marker--paused" in c]


def test_an_overdue_decision_is_red_and_today_is_drawn(review_world: ReviewWorld) -> None:
    today = timezone.localdate()
    Review.objects.filter(pk=review_world.review.pk).update(
        notified_on=today - timedelta(days=40), died_on=today - timedelta(days=45)
    )
    drawn = draw(review_world)
    root = parse(str(drawn.svg))
    red = [e for e in root.iter(f"{SVG}polygon") if e.get("class") == "app-timeline__marker app-timeline__marker--red"]
    assert len(red) == 1
    assert "Overdue" in (red[0].findtext(f"{SVG}title") or "")
    today_line = next(e for e in root.iter(f"{SVG}line") if e.get("class") == "app-timeline__today")
    # The axis runs from the death to today, the latest date here, so today is at the right edge.
    assert float(today_line.get("x1") or 0) == pytest.approx(timeline.PLOT_RIGHT)
    assert texts(root, "app-timeline__today-label") == ["Today"]
    decision = next(row for row in drawn.rows if row.what == "Due: CSP chair's decision")
    assert (decision.on, decision.rag) == (add_months(today - timedelta(days=40), 1), "red")


def test_axis_has_month_ticks_from_the_death(review_world: ReviewWorld) -> None:
    today = date(2026, 3, 20)
    Review.objects.filter(pk=review_world.review.pk).update(notified_on=date(2025, 12, 10), died_on=date(2025, 12, 1))
    root = parse(str(draw(review_world, today).svg))
    assert texts(root, "app-timeline__tick-label") == ["Dec 2025", "Jan 2026", "Feb 2026", "Mar 2026"]


def test_a_long_review_labels_fewer_months(review_world: ReviewWorld) -> None:
    """Reviews take two to three years: every month is ticked but not every one is labelled."""
    Review.objects.filter(pk=review_world.review.pk).update(notified_on=date(2023, 9, 1), died_on=date(2023, 8, 20))
    root = parse(str(draw(review_world, date(2026, 3, 20)).svg))
    grid = [line for line in root.iter(f"{SVG}line") if line.get("class") == "app-timeline__grid"]
    labels = texts(root, "app-timeline__tick-label")
    assert len(grid) == 31
    assert labels[:3] == ["Sep 2023", "Jan 2024", "May 2024"]
    assert len(labels) <= timeline.MAX_MONTH_LABELS


def test_rows_list_the_same_facts_in_date_order(paused_world: ReviewWorld) -> None:
    today = timezone.localdate()
    review = paused_world.refresh()
    rows = draw(paused_world).rows
    assert [row.on for row in rows] == sorted(row.on for row in rows)
    facts = {(row.on, row.what): row for row in rows}
    assert facts[(review.died_on, "Death")].detail == "Homicide"
    assert (review.notified_on, "Notified to the partnership") in facts
    first = facts[(today - timedelta(days=15), "Paused: Criminal investigation or trial")]
    assert first.detail == "<script>alert(1)</script> Crown Court, T20260001"
    assert facts[(today - timedelta(days=10), "Pause ended: Criminal investigation or trial")].detail == "5 days paused"
    decision = facts[(add_months(review.notified_on, 1), "Due: CSP chair's decision")]
    assert decision.rag == "complete"
    assert decision.detail.startswith("Done on ")
    completion = facts[(today, "Due: Overview report to the Home Office")]
    assert (completion.rag, completion.detail) == ("paused", "On hold while the review is paused")
    assert facts[(today + timedelta(days=3), "Due: Meeting action: Send <b>records</b> & chronology")].rag == "amber"
    assert facts[(today, "Today")].detail == "10 days active, 10 days paused"


def test_include_shows_the_picture_and_the_table(paused_world: ReviewWorld) -> None:
    drawn = draw(paused_world)
    html = render_to_string("reviews/timeline.html", {"timeline": drawn})
    assert str(drawn.svg) in html
    assert "Timeline as a table" in html
    assert html.count('<tr class="govuk-table__row">') == len(drawn.rows) + 1
    assert '<strong class="govuk-tag govuk-tag--orange">Due soon</strong>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Crown Court, T20260001" in html
    assert "<script>" not in html

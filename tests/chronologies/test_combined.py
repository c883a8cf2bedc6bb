"""The combined chronology: every accepted entry of a review in a stable date order, its filters and
pages, the timeline by agency, the panel's notes and significance marks, and the release to the
agencies' contributors; and who may see and do each, every refusal leaving everything as it was."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.chronologies.importing import Subject
from dhr_tracker.chronologies.models import Entry, PanelNote, Release
from dhr_tracker.chronologies.services import combined as services
from dhr_tracker.reviews.deadlines import PauseReason
from dhr_tracker.reviews.models import Pause
from tests.chronologies.conftest import ChronologyWorld
from tests.chronologies.entries_helpers import CALL, Line, accept
from tests.conftest import EventLog
from tests.factories import AgencyFactory, AgencyMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

POLICE = [
    CALL,
    Line("2019", "Known to the police from 2019", subject=Subject.PERPETRATOR),
    Line("3 Mar 2019", "Adult B arrested for assault", subject=Subject.PERPETRATOR, significant=True),
]
HEALTH = [
    Line("Feb 2019", "Antenatal booking", practitioner_role="Midwife", risks=("Pregnancy",)),
    Line(
        "10 Oct 2018",
        "Seen at the GP surgery with bruising",
        action_or_outcome="Referred to the IDVA service",
        risks=("Coercive control", "MARAC referral"),
    ),
]


class Combined:
    """The chronology world with accepted chronologies from both agencies."""

    def __init__(self, world: ChronologyWorld) -> None:
        self.world = world
        self.police = accept(world, world.agency_a, POLICE)
        self.health = accept(world, world.agency_b, HEALTH)

    def url(self, name: str = "combined", **query: Any) -> str:
        path = reverse(f"chronologies:{name}", args=[self.world.review.pk])
        return f"{path}?{urlencode(query)}" if query else path

    def client(self, user: User) -> Client:
        return self.world.client(user)

    def release(self) -> Release:
        return services.release_combined(self.world.refresh(), actor=self.world.coordinator, request=None)


@pytest.fixture
def combined(chronology_world: ChronologyWorld) -> Combined:
    return Combined(chronology_world)


def events(response: Any) -> list[str]:
    return [row.entry.event for row in response.context["rows"]]


def entry_url(name: str, entry: Entry) -> str:
    return reverse(f"chronologies:{name}", args=[entry.pk])


def outsiders(world: ChronologyWorld) -> list[User]:
    """Those who must not learn the chronology exists: another partnership, the auditor, an agency's
    member who is not on the review."""
    stranger = UserFactory.create(email="someone@agency-c.example")
    AgencyMembershipFactory.create(user=stranger, agency=AgencyFactory.create(name="Agency C Housing"))
    personas = world.reviews.personas
    return [personas.outsider, personas.auditor, stranger]


# Order ------------------------------------------------------------------------------------------


def test_entries_are_in_date_order_vaguest_first_then_by_agency_then_position(
    chronology_world: ChronologyWorld,
) -> None:
    """The order never depends on which agency's chronology was accepted first."""
    world = chronology_world
    accept(world, world.agency_b, [Line("1 Jan 2019", "B on 1 Jan"), Line("31 Dec 2018", "B on 31 Dec")])
    accept(
        world,
        world.agency_a,
        [
            Line("1 Jan 2019", "A first on 1 Jan"),
            Line("Jan 2019", "A in January"),
            Line("1 Jan 2019", "A second on 1 Jan"),
            Line("2019", "A in 2019"),
            Line("1 Jan 2019", "A at nine", at="09:00"),
        ],
    )

    response = world.client(world.csp_chair).get(reverse("chronologies:combined", args=[world.review.pk]))

    assert response.status_code == 200
    assert events(response) == [
        "B on 31 Dec",
        "A in 2019",
        "A in January",
        "A first on 1 Jan",
        "A second on 1 Jan",
        "B on 1 Jan",
        "A at nine",
    ]
    assert [row.when for row in response.context["rows"]] == [
        "31 Dec 2018",
        "2019",
        "Jan 2019",
        "1 Jan 2019",
        "1 Jan 2019",
        "1 Jan 2019",
        "1 Jan 2019, 09:00",
    ]


def test_page_shows_each_entry_with_its_risk_tags_significance_and_note_count(combined: Combined) -> None:
    world = combined.world
    arrest = combined.police[2]
    services.add_note(arrest, actor=world.panel_member, text="Ask the police about bail", request=None)

    response = combined.client(world.panel_member).get(combined.url())

    assert response.status_code == 200
    assert events(response) == [
        "Seen at the GP surgery with bruising",
        "Known to the police from 2019",
        "Called to the address after a neighbour heard shouting",
        "Antenatal booking",
        "Adult B arrested for assault",
    ]
    text = response.text
    assert "1 Jan 2019, 14:30" in text
    assert '<strong class="govuk-tag govuk-tag--grey">MARAC referral</strong>' in text
    assert '<strong class="govuk-tag govuk-tag--red">Significant</strong>' in text
    assert "1 note" in text
    assert entry_url("combined_entry", arrest) in text
    assert "5 entries from 2 agencies; 1 marked significant." in text
    assert [(row.agency, row.entries, row.significant) for row in response.context["by_agency"]] == [
        ("Agency A Police", 3, 1),
        ("Agency B Health", 2, 0),
    ]
    assert "Not released to the agencies" in text


def test_first_page_makes_a_bounded_number_of_queries(combined: Combined, django_assert_max_num_queries: Any) -> None:
    world = combined.world
    accept(world, world.add_agency("Agency C Housing")[0], [Line("2020", f"Housing {n}") for n in range(60)])
    chair = combined.client(world.csp_chair)
    chair.get(combined.url())

    with django_assert_max_num_queries(15):
        response = chair.get(combined.url())

    assert len(response.context["rows"]) == 50


# Filters ----------------------------------------------------------------------------------------


def test_filter_by_agency(combined: Combined) -> None:
    response = combined.client(combined.world.csp_chair).get(combined.url(agency=combined.world.agency_b.pk))

    assert events(response) == ["Seen at the GP surgery with bruising", "Antenatal booking"]
    assert "2 entries from 1 agency match these filters" in response.text


def test_filter_by_subject(combined: Combined) -> None:
    response = combined.client(combined.world.csp_chair).get(combined.url(subject="perpetrator"))

    assert events(response) == ["Known to the police from 2019", "Adult B arrested for assault"]


def test_filter_by_risk_indicator_matches_whole_indicators(combined: Combined) -> None:
    chair = combined.client(combined.world.csp_chair)

    marac = chair.get(combined.url(risk="MARAC referral"))
    high = chair.get(combined.url(risk="DASH high risk"))
    medium = chair.get(combined.url(risk="DASH medium risk"))

    assert events(marac) == [
        "Seen at the GP surgery with bruising",
        "Called to the address after a neighbour heard shouting",
    ]
    assert events(high) == ["Called to the address after a neighbour heard shouting"]
    assert events(medium) == []
    assert "No entries match these filters" in medium.text


def test_filter_significant_only(combined: Combined) -> None:
    response = combined.client(combined.world.csp_chair).get(combined.url(significant="on"))

    assert events(response) == ["Adult B arrested for assault"]


def test_date_range_keeps_entries_whose_period_overlaps_it(combined: Combined) -> None:
    """ "Feb 2019" overlaps "from 15/02/2019", and "2019" overlaps any range in 2019."""
    chair = combined.client(combined.world.csp_chair)

    response = chair.get(combined.url(since="15/02/2019", until="1 March 2019"))
    to_2018 = chair.get(combined.url(until="2018"))

    assert events(response) == ["Known to the police from 2019", "Antenatal booking"]
    assert events(to_2018) == ["Seen at the GP surgery with bruising"]


def test_text_filter_ignores_case_and_searches_event_outcome_source_and_role(combined: Combined) -> None:
    chair = combined.client(combined.world.csp_chair)

    assert events(chair.get(combined.url(text="BRUISING"))) == ["Seen at the GP surgery with bruising"]
    assert events(chair.get(combined.url(text="idva"))) == ["Seen at the GP surgery with bruising"]
    assert events(chair.get(combined.url(text="pnc-1"))) == ["Called to the address after a neighbour heard shouting"]
    assert events(chair.get(combined.url(text="midwife"))) == ["Antenatal booking"]
    assert events(chair.get(combined.url(text="100%"))) == []


def test_pages_keep_the_filters(combined: Combined) -> None:
    world = combined.world
    accept(
        world,
        world.add_agency("Agency C Housing")[0],
        [Line(f"{day} Jan 2020", f"Housing visit {day}", risks=("Separation",)) for day in range(1, 31)]
        + [Line(f"{day} Feb 2020", f"Housing call {day}", risks=("Separation",)) for day in range(1, 29)],
    )
    chair = combined.client(world.csp_chair)

    first = chair.get(combined.url(risk="Separation"))
    second = chair.get(combined.url(risk="Separation", page=2))

    assert len(first.context["rows"]) == 50
    assert 'href="?risk=Separation&amp;page=2"' in first.text
    assert events(second) == [f"Housing call {day}" for day in range(21, 29)]
    assert 'href="?risk=Separation&amp;page=1"' in second.text
    assert "/combined/export/xlsx/?risk=Separation" in first.text
    assert "/combined/timeline/?risk=Separation" in first.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "31/02/2019"}, "February 2019 has no day 31"),
        ({"until": "next week"}, "Enter the date as 31/12/2019, 31 Dec 2019, Dec 2019 or 2019"),
        ({"since": "1/1/19"}, "Enter the year with all four digits"),
        (
            {"since": "2020", "until": "2019"},
            "The \u2018to\u2019 date must be the same as or after the \u2018from\u2019 date",
        ),
        ({"agency": "999999"}, "Choose an agency from the list"),
        ({"agency": "police"}, "Choose an agency from the list"),
        ({"subject": "neighbour"}, "Choose a subject from the list"),
        ({"risk": "Unknown risk"}, "Choose a risk indicator from the list"),
        ({"text": "x" * 201}, "Enter search words of 200 characters or fewer"),
        ({"text": "a\x00b"}, "Null characters are not allowed"),
    ],
)
def test_bad_filters_are_explained_not_failed(combined: Combined, query: dict[str, str], message: str) -> None:
    chair = combined.client(combined.world.csp_chair)

    for name in ("combined", "combined_timeline"):
        response = chair.get(combined.url(name, **query))

        assert response.status_code == 400
        assert "There is a problem" in response.text
        assert message in response.text
        assert "rows" not in response.context
        assert "lanes" not in response.context


def test_no_accepted_chronology_yet_is_said(chronology_world: ChronologyWorld) -> None:
    response = chronology_world.client(chronology_world.csp_chair).get(
        reverse("chronologies:combined", args=[chronology_world.review.pk])
    )

    assert response.status_code == 200
    assert "No agency\u2019s chronology has been accepted yet" in response.text


# Timeline ---------------------------------------------------------------------------------------


def test_timeline_draws_the_filtered_entries_by_agency_with_the_pauses(combined: Combined) -> None:
    world = combined.world
    Pause.objects.create(
        review=world.review,
        reason=PauseReason.CRIMINAL_TRIAL,
        started_on=timezone.localdate() - timedelta(days=3),
        requested_by=world.coordinator,
        approved_by=world.csp_chair,
    )
    chair = combined.client(world.csp_chair)

    everything = chair.get(combined.url("combined_timeline"))
    police = chair.get(combined.url("combined_timeline", agency=world.agency_a.pk))

    assert everything.status_code == 200
    lanes = everything.context["lanes"]
    assert [(row.agency, row.entries, row.significant) for row in lanes.rows] == [
        ("Agency A Police", 3, 1),
        ("Agency B Health", 2, 0),
    ]
    assert [row.label for row in lanes.significant] == ["Adult B arrested for assault"]
    assert [row.reason for row in lanes.pauses] == [PauseReason.CRIMINAL_TRIAL.label]
    assert "<svg" in everything.text
    assert "Timeline by agency as tables" in everything.text
    assert [row.agency for row in police.context["lanes"].rows] == ["Agency A Police"]


# Entries: significance and notes ----------------------------------------------------------------


def test_panel_member_marks_an_entry_significant_and_clears_it(combined: Combined, security_events: EventLog) -> None:
    world = combined.world
    visit = combined.health[0]
    panel = combined.client(world.panel_member)

    marked = panel.post(entry_url("entry_significance", visit), {"significant": "yes"})

    assert marked.status_code == 302
    assert marked["Location"] == entry_url("combined_entry", visit)
    visit.refresh_from_db()
    assert visit.significant
    assert visit.significance_set_by == world.panel_member
    assert "Remove the significant mark" in panel.get(entry_url("combined_entry", visit)).text
    event = security_events.find("chronologies.significance_set")
    assert event.details == {"review": "DHR-2026-01", "agency": world.agency_b.pk, "significant": True}

    panel.post(entry_url("entry_significance", visit), {"significant": "no"})

    visit.refresh_from_db()
    assert not visit.significant
    assert security_events.find("chronologies.significance_set").details["significant"] is False


def test_marking_an_entry_as_it_already_is_records_nothing(combined: Combined, security_events: EventLog) -> None:
    arrest = combined.police[2]

    services.set_significance(arrest, actor=combined.world.csp_chair, significant=True, request=None)

    assert "chronologies.significance_set" not in security_events.actions()


def test_panel_adds_notes_which_the_entry_page_shows(combined: Combined, security_events: EventLog) -> None:
    world = combined.world
    call = combined.police[0]
    chair = combined.client(world.independent_chair)

    added = chair.post(entry_url("entry_note", call), {"text": "  Was a DASH shared with health?  "})

    assert added.status_code == 302
    note = PanelNote.objects.get(entry=call)
    assert (note.text, note.author) == ("Was a DASH shared with health?", world.independent_chair)
    page = chair.get(entry_url("combined_entry", call))
    assert "Was a DASH shared with health?" in page.text
    assert "Ivy Independent" in page.text
    assert "Version 1 of the agency\u2019s chronology" in page.text
    event = security_events.find("chronologies.note_added")
    assert event.details == {"review": "DHR-2026-01", "entry": call.pk, "agency": world.agency_a.pk}
    assert "DASH" not in str(event.details)


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Enter the note"), ("x" * 5_001, "The note must be 5,000 characters or fewer")],
)
def test_a_blank_or_overlong_note_is_refused(combined: Combined, text: str, message: str) -> None:
    call = combined.police[0]

    response = combined.client(combined.world.panel_member).post(entry_url("entry_note", call), {"text": text})

    assert response.status_code == 400
    assert message in response.text
    assert not PanelNote.objects.exists()


def test_annotating_is_refused_once_the_review_is_closed(combined: Combined) -> None:
    world = combined.world
    world.review.state = "withdrawn"
    world.review.save(update_fields=["state"])
    call = combined.police[0]

    response = combined.client(world.panel_member).post(entry_url("entry_note", call), {"text": "Late"})

    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.set_significance(call, actor=world.csp_chair, significant=True, request=None)
    assert not PanelNote.objects.exists()


# Release ----------------------------------------------------------------------------------------


def test_release_shows_contributors_every_agency_but_never_the_notes(
    combined: Combined, security_events: EventLog
) -> None:
    world = combined.world
    call = combined.police[0]
    services.add_note(call, actor=world.panel_member, text="Ask about the DASH", request=None)
    contributor = combined.client(world.contributor_b)
    assert contributor.get(combined.url()).status_code == 404

    released = combined.client(world.coordinator).post(combined.url("release"))

    assert released.status_code == 302
    assert released["Location"] == combined.url()
    event = security_events.find("chronologies.combined_released")
    assert event.details == {"review": "DHR-2026-01", "entries": 5}
    page = contributor.get(combined.url())
    assert page.status_code == 200
    assert len(page.context["rows"]) == 5
    assert "Released to the agencies\u2019 contributors on" in page.text
    assert "1 note<" not in page.text
    assert "0 notes<" not in page.text
    assert "Withdraw the release" not in page.text
    detail = contributor.get(entry_url("combined_entry", call))
    assert detail.status_code == 200
    assert "Ask about the DASH" not in detail.text
    assert "Panel notes" not in detail.text
    assert "Mark as significant" not in detail.text
    # Agency A's own submission is not agency B's to open.
    assert reverse("chronologies:submission", args=[call.submission_id]) not in detail.text
    assert "Withdraw the release" in combined.client(world.coordinator).get(combined.url()).text


def test_withdrawing_the_release_hides_it_again(combined: Combined, security_events: EventLog) -> None:
    world = combined.world
    combined.release()

    withdrawn = combined.client(world.independent_chair).post(combined.url("release_withdraw"))

    assert withdrawn.status_code == 302
    release = Release.objects.get(review=world.review)
    assert release.withdrawn_by == world.independent_chair
    assert security_events.find("chronologies.release_withdrawn").details["released_on"] == str(timezone.localdate())
    assert combined.client(world.contributor_a).get(combined.url()).status_code == 404
    assert combined.client(world.coordinator).post(combined.url("release")).status_code == 302
    assert Release.objects.filter(review=world.review, withdrawn_at__isnull=True).count() == 1


def test_release_twice_or_withdraw_without_release_is_explained(combined: Combined) -> None:
    coordinator = combined.client(combined.world.coordinator)

    not_released = coordinator.post(combined.url("release_withdraw"))
    combined.release()
    twice = coordinator.post(combined.url("release"))

    assert not_released.status_code == 400
    assert "is not released to the agencies" in not_released.text
    assert twice.status_code == 400
    assert "is already released" in twice.text
    assert Release.objects.count() == 1


def test_nothing_to_release_before_any_chronology_is_accepted(chronology_world: ChronologyWorld) -> None:
    with pytest.raises(ValidationError, match="There is nothing to release yet"):
        services.release_combined(chronology_world.refresh(), actor=chronology_world.coordinator, request=None)

    assert not Release.objects.exists()


# Who may see and do what ------------------------------------------------------------------------


def _pages(combined: Combined) -> list[str]:
    call = combined.police[0]
    return [
        combined.url(),
        combined.url("combined_timeline"),
        reverse("chronologies:combined_export", args=[combined.world.review.pk, "csv"]),
        entry_url("combined_entry", call),
    ]


def _posts(combined: Combined) -> list[tuple[str, dict[str, str]]]:
    call = combined.police[0]
    return [
        (combined.url("release"), {}),
        (combined.url("release_withdraw"), {}),
        (entry_url("entry_significance", call), {"significant": "yes"}),
        (entry_url("entry_note", call), {"text": "A note"}),
    ]


def _state() -> list[Sequence[Any]]:
    return [
        list(Entry.objects.order_by("pk").values_list("significant", "significance_set_by")),
        list(PanelNote.objects.values_list("pk", flat=True)),
        list(Release.objects.values_list("pk", "withdrawn_at")),
    ]


def test_contributors_see_nothing_before_the_release(combined: Combined) -> None:
    before = _state()
    for user in (combined.world.contributor_a, combined.world.contributor_b):
        client = combined.client(user)
        for url in _pages(combined):
            assert client.get(url).status_code == 404, url
        for url, data in _posts(combined):
            assert client.post(url, data).status_code == 404, url
    assert _state() == before


@pytest.mark.parametrize("released", [False, True])
def test_outsiders_auditors_and_other_agencies_see_nothing(combined: Combined, released: bool) -> None:
    if released:
        combined.release()
    before = _state()
    for user in outsiders(combined.world):
        client = combined.client(user)
        for url in _pages(combined):
            assert client.get(url).status_code == 404, (user.email, url)
        for url, data in _posts(combined):
            assert client.post(url, data).status_code == 404, (user.email, url)
    assert _state() == before


def test_contributors_may_not_annotate_or_release_after_the_release(combined: Combined) -> None:
    combined.release()
    before = _state()
    client = combined.client(combined.world.contributor_a)
    for url in _pages(combined):
        assert client.get(url).status_code == 200, url
    for url, data in _posts(combined):
        assert client.post(url, data).status_code == 403, url
    assert _state() == before
    with pytest.raises(PermissionDenied):
        services.add_note(combined.police[0], actor=combined.world.contributor_a, text="Mine", request=None)


def test_panel_member_annotates_but_may_not_release(combined: Combined) -> None:
    before = _state()
    panel = combined.client(combined.world.panel_member)

    assert panel.post(combined.url("release")).status_code == 403
    assert panel.post(combined.url("release_withdraw")).status_code == 403
    assert "Release to the agencies" not in panel.get(combined.url()).text
    assert _state() == before
    with pytest.raises(PermissionDenied):
        services.release_combined(combined.world.refresh(), actor=combined.world.panel_member, request=None)


def test_actions_answer_only_posts(combined: Combined) -> None:
    chair = combined.client(combined.world.csp_chair)
    for url, _ in _posts(combined):
        assert chair.get(url).status_code == 405, url


def test_entries_not_yet_accepted_are_not_in_the_combined_chronology(combined: Combined) -> None:
    draft = combined.police[1]
    Entry.objects.filter(pk=draft.pk).update(combined=False)
    chair = combined.client(combined.world.csp_chair)

    assert "Known to the police from 2019" not in events(chair.get(combined.url()))
    assert chair.get(entry_url("combined_entry", draft)).status_code == 404

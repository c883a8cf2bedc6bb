"""Learning across reviews: the partnership's and the national pages, their filters, counts,
repeated recommendations, exports, and who may see them."""

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import Agency, Partnership, User
from dhr_tracker.reports import learning
from dhr_tracker.reports.models import Action, Recommendation, RecommendationTheme, ReviewTheme, Scope
from dhr_tracker.reviews.models import Review
from tests.conftest import EventLog, Personas
from tests.factories import UserFactory

TODAY = timezone.localdate()
COERCIVE = "All agencies should ensure that staff receive training on coercive control."
COERCIVE_AGAIN = "Agencies must make sure their staff are trained in recognising coercive and controlling behaviour."
DASH = "The police should review their DASH risk assessment process."
GP = "Health services should train GPs to ask about domestic abuse."


def make_review(partnership: Partnership, reference: str, creator: User) -> Review:
    """A review row as setup, without its lifecycle: the learning pages read only recommendations."""
    return Review.objects.create(
        partnership=partnership,
        reference=reference,
        notified_on=TODAY - timedelta(days=400),
        notifier_kind="police",
        died_on=TODAY - timedelta(days=410),
        death_type="homicide",
        relationship="partner",
        created_by=creator,
    )


def recommend(
    review: Review,
    number: int,
    text: str,
    *,
    owner: User,
    agency: Agency | None = None,
    scope: str = Scope.LOCAL,
    made: datetime | None = None,
) -> Recommendation:
    return Recommendation.objects.create(
        review=review,
        number=number,
        text=text,
        scope=scope,
        lead_agency=agency,
        owner=owner,
        target_on=TODAY + timedelta(days=180),
        created_by=owner,
        created_at=made or timezone.now(),
    )


def act(
    recommendation: Recommendation, number: int, *, target: int, done: bool = False, at_risk: bool = False
) -> Action:
    return Action.objects.create(
        recommendation=recommendation,
        number=number,
        text="Deliver it",
        owner=recommendation.owner,
        target_on=TODAY + timedelta(days=target),
        completed_on=TODAY if done else None,
        at_risk=at_risk,
        created_by=recommendation.owner,
    )


class Learning:
    def __init__(self, personas: Personas, client: Callable[..., Client]) -> None:
        self.personas = personas
        self.client = client
        p = personas
        self.police = Agency.objects.get(name="Agency A Police")
        self.health = Agency.objects.get(name="Agency B Health")
        self.first = make_review(p.partnership, "DHR-2024-01", p.coordinator)
        self.second = make_review(p.partnership, "DHR-2025-02", p.coordinator)
        self.elsewhere = make_review(p.other_partnership, "OB-2025-07", p.outsider)
        owner = p.coordinator
        self.coercive = recommend(
            self.first, 1, COERCIVE, owner=owner, agency=self.police, made=timezone.now() - timedelta(days=800)
        )
        self.dash = recommend(self.first, 2, DASH, owner=owner, agency=self.police, scope=Scope.REGIONAL)
        self.coercive_again = recommend(
            self.second, 1, COERCIVE_AGAIN, owner=owner, agency=self.health, made=timezone.now() - timedelta(days=250)
        )
        self.gp = recommend(self.second, 2, GP, owner=owner, agency=self.health, scope=Scope.NATIONAL)
        self.other_coercive = recommend(self.elsewhere, 1, COERCIVE, owner=p.outsider)
        # Statuses: complete; red (one overdue among open); amber (at risk); no actions yet (gp).
        act(self.coercive, 1, target=-10, done=True)
        act(self.dash, 1, target=30)
        act(self.dash, 2, target=-1)
        act(self.coercive_again, 1, target=100, at_risk=True)
        act(self.other_coercive, 1, target=200)
        ReviewTheme.objects.create(review=self.second, theme="Coercive control")
        RecommendationTheme.objects.create(recommendation=self.coercive, theme="Coercive control")
        RecommendationTheme.objects.create(recommendation=self.gp, theme="Mental health")

    def url(self, **query: str) -> str:
        base = reverse("reports:learning", args=[self.personas.partnership.pk])
        return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def world(personas: Personas, verified_client: Callable[..., Client]) -> Learning:
    return Learning(personas, verified_client)


def test_status_follows_the_actions(world: Learning) -> None:
    found = {r.pk: r.learning_status for r in learning.recommendations(None, TODAY)}  # type: ignore[attr-defined]
    assert found[world.coercive.pk] == "complete"
    assert found[world.dash.pk] == "red"
    assert found[world.coercive_again.pk] == "amber"
    assert found[world.gp.pk] == "none"
    assert found[world.other_coercive.pk] == "green"


def test_partnership_page_shows_its_recommendations_counts_and_repeats(world: Learning) -> None:
    response = world.client(world.personas.coordinator).get(world.url())
    assert response.status_code == 200
    page = response.content.decode()
    assert DASH in page
    assert GP in page
    assert "OB-2025-07" not in page
    by_status = {label: count for _, label, count in response.context["by_status"]}
    assert by_status == {
        "Complete": 1,
        "Red: overdue": 1,
        "Amber: at risk or due soon": 1,
        "Green: on track": 0,
        "No actions yet": 1,
    }
    by_theme = dict(response.context["by_theme"])
    # Tagged itself, or through its review (both of the second review's recommendations).
    assert by_theme["Coercive control"] == 3
    assert by_theme["Mental health"] == 1
    groups = response.context["groups"]
    assert [[row.recommendation.pk for row in group] for group in groups] == [
        [world.coercive.pk, world.coercive_again.pk]
    ]
    assert "Group 1: made in 2 reviews" in page
    assert "Complete" in page
    assert "Amber: at risk or due soon" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"theme": "Coercive control"}, {"coercive", "coercive_again", "gp"}),
        ({"status": "red"}, {"dash"}),
        ({"status": "none"}, {"gp"}),
        ({"status": "complete"}, {"coercive"}),
        ({"scope": "national"}, {"gp"}),
        ({"age": "under_6"}, {"dash", "gp"}),
        ({"age": "6_12"}, {"coercive_again"}),
        ({"age": "over_24"}, {"coercive"}),
        ({"age": "12_24"}, set()),
    ],
)
def test_filters(world: Learning, query: dict[str, str], expected: set[str]) -> None:
    response = world.client(world.personas.coordinator).get(world.url(**query))
    assert response.status_code == 200
    shown = {row.recommendation.pk for row in response.context["rows"]}
    assert shown == {getattr(world, name).pk for name in expected}


def test_filter_by_lead_agency(world: Learning) -> None:
    response = world.client(world.personas.coordinator).get(world.url(agency=str(world.health.pk)))
    assert {row.recommendation.pk for row in response.context["rows"]} == {world.coercive_again.pk, world.gp.pk}


def test_unknown_filter_values_are_refused(world: Learning) -> None:
    response = world.client(world.personas.coordinator).get(world.url(theme="Astrology"))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_national_page_spans_partnerships_and_groups_across_them(world: Learning) -> None:
    overseer = UserFactory.create(email="oversight@commissioner.example", national_oversight=True)
    response = world.client(overseer).get(reverse("reports:national_learning"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "OB-2025-07" in page
    assert "Otherborough Community Safety Partnership" in page
    groups = [{row.recommendation.pk for row in group} for group in response.context["groups"]]
    assert groups == [{world.coercive.pk, world.coercive_again.pk, world.other_coercive.pk}]
    # National oversight sees no partnership's page, nor any review.
    assert world.client(overseer).get(world.url()).status_code == 404


def test_who_is_refused(world: Learning) -> None:
    p = world.personas
    national = reverse("reports:national_learning")
    for user in (p.coordinator, p.csp_chair, p.outsider, p.auditor, p.site_admin, p.contributor_a):
        client = world.client(user)
        assert client.get(national).status_code == 404
        assert client.get(reverse("reports:national_learning_export") + "?format=csv").status_code == 404
    for user in (p.outsider, p.auditor, p.site_admin, p.contributor_a):
        client = world.client(user)
        assert client.get(world.url()).status_code == 404
        export = reverse("reports:learning_export", args=[p.partnership.pk]) + "?format=csv"
        assert client.get(export).status_code == 404
    other_page = reverse("reports:learning", args=[p.other_partnership.pk])
    assert world.client(p.coordinator).get(other_page).status_code == 404
    assert world.client(p.coordinator).get(reverse("reports:learning", args=[99999])).status_code == 404
    # The other partnership's chair sees their own page only.
    assert world.client(p.outsider).get(reverse("reports:learning", args=[p.other_partnership.pk])).status_code == 200


def test_export_csv_neutralises_formulas_and_is_audited(world: Learning, security_events: EventLog) -> None:
    world.dash.text = '=HYPERLINK("http://evil.example")'
    world.dash.save()
    url = reverse("reports:learning_export", args=[world.personas.partnership.pk])
    response = world.client(world.personas.coordinator).get(url + "?format=csv&status=red")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(learning.HEADINGS)
    assert len(rows) == 2
    assert rows[1][3] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][8] == "Red: overdue"
    event = security_events.find("reports.learning_exported")
    assert event.details == {"format": "csv", "count": 1, "filters": {"status": "red"}}
    assert event.partnership_id == world.personas.partnership.pk


def test_export_xlsx_marks_repeated_groups(world: Learning, security_events: EventLog) -> None:
    overseer = UserFactory.create(email="oversight@commissioner.example", national_oversight=True)
    response = world.client(overseer).get(reverse("reports:national_learning_export") + "?format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Recommendations"]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 6
    grouped = {row[3]: row[10] for row in values[1:]}
    assert grouped[COERCIVE] == "1"
    assert grouped[COERCIVE_AGAIN] == "1"
    assert grouped[DASH] is None
    assert security_events.find("reports.learning_exported").details["count"] == 5


def test_export_needs_a_known_format(world: Learning) -> None:
    url = reverse("reports:learning_export", args=[world.personas.partnership.pk])
    response = world.client(world.personas.coordinator).get(url + "?format=pdf")
    assert response.status_code == 400
    assert "The export could not be made" in response.content.decode()


def _more_reviews(world: Learning, count: int) -> None:
    p = world.personas
    for index in range(count):
        review = make_review(p.partnership, f"DHR-X-{index}", p.coordinator)
        ReviewTheme.objects.create(review=review, theme="Suicide")
        for number in (1, 2):
            recommendation = recommend(
                review, number, f"{COERCIVE} Variant {index} {number}", owner=p.coordinator, agency=world.police
            )
            RecommendationTheme.objects.create(recommendation=recommendation, theme="Stalking")
            act(recommendation, 1, target=number * 10)


@pytest.mark.parametrize("national", [False, True])
def test_query_count_does_not_grow_with_reviews(
    world: Learning, django_assert_max_num_queries: Any, national: bool
) -> None:
    overseer = UserFactory.create(email="oversight@commissioner.example", national_oversight=True)
    client = world.client(overseer if national else world.personas.coordinator)
    url = reverse("reports:national_learning") if national else world.url()
    client.get(url)
    with CaptureQueriesContext(connection) as three_reviews:
        assert client.get(url).status_code == 200
    _more_reviews(world, 27)
    with django_assert_max_num_queries(len(three_reviews)):
        response = client.get(url)
    assert response.context["page"].paginator.count >= 58

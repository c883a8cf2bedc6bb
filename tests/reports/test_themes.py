"""Tagging a review and its recommendations with the configured themes."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.reports.models import Recommendation, RecommendationTheme, ReviewTheme, Scope
from dhr_tracker.reports.services import themes
from tests.conftest import EventLog
from tests.reports.conftest import ReportWorld


def recommend(world: ReportWorld, number: int, text: str) -> Recommendation:
    return Recommendation.objects.create(
        review=world.review,
        number=number,
        text=text,
        scope=Scope.LOCAL,
        owner=world.coordinator,
        target_on=timezone.localdate() + timedelta(days=90),
        created_by=world.coordinator,
    )


@pytest.fixture
def tagged_world(report_world: ReportWorld) -> ReportWorld:
    recommend(report_world, 1, "Train staff on coercive control <script>alert(1)</script>")
    recommend(report_world, 2, "Review the DASH risk assessment process")
    return report_world


def test_chair_tags_the_review_and_each_recommendation(tagged_world: ReportWorld, security_events: EventLog) -> None:
    world = tagged_world
    first, second = Recommendation.objects.order_by("number")
    client = world.client(world.independent_chair)
    page = client.get(reverse("reports:themes", args=[world.review.pk]))
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.content.decode()
    response = client.post(
        reverse("reports:themes", args=[world.review.pk]),
        {
            "review_themes": ["Coercive control", "Suicide"],
            f"recommendation_{first.pk}": ["Coercive control"],
            f"recommendation_{second.pk}": ["Risk assessment", "Multi-agency working"],
        },
    )
    assert response.status_code == 302
    assert set(ReviewTheme.objects.values_list("theme", flat=True)) == {"Coercive control", "Suicide"}
    assert set(first.themes.values_list("theme", flat=True)) == {"Coercive control"}
    assert set(second.themes.values_list("theme", flat=True)) == {"Risk assessment", "Multi-agency working"}
    event = security_events.find("reports.themes_tagged")
    assert event.details["recommendations_changed"] == [1, 2]
    # Untagging replaces the set.
    client.post(reverse("reports:themes", args=[world.review.pk]), {"review_themes": ["Suicide"]})
    assert list(ReviewTheme.objects.values_list("theme", flat=True)) == ["Suicide"]
    assert not RecommendationTheme.objects.exists()
    page = client.get(reverse("reports:themes", args=[world.review.pk]))
    assert page.context["review_field"].value() == ["Suicide"]


def test_a_theme_not_configured_is_refused(tagged_world: ReportWorld) -> None:
    world = tagged_world
    first = Recommendation.objects.get(number=1)
    client = world.client(world.coordinator)
    response = client.post(
        reverse("reports:themes", args=[world.review.pk]),
        {"review_themes": ["Suicide"], f"recommendation_{first.pk}": ["Astrology"]},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ReviewTheme.objects.exists()
    assert not RecommendationTheme.objects.exists()
    with pytest.raises(ValidationError, match="Choose themes from the list"):
        themes.tag(
            world.refresh(),
            actor=world.coordinator,
            review_themes=["Astrology"],
            recommendation_themes={},
            request=None,
        )
    assert not ReviewTheme.objects.exists()


def test_readers_see_themes_but_cannot_tag_and_outsiders_get_404(tagged_world: ReportWorld) -> None:
    world = tagged_world
    personas = world.chronologies.reviews.personas
    url = reverse("reports:themes", args=[world.review.pk])
    panel = world.client(world.panel_member)
    assert panel.get(url).status_code == 200
    assert panel.post(url, {"review_themes": ["Suicide"]}).status_code == 403
    for user in (personas.outsider, personas.auditor, personas.site_admin, world.contributor_a):
        client = world.client(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"review_themes": ["Suicide"]}).status_code == 404
    assert not ReviewTheme.objects.exists()

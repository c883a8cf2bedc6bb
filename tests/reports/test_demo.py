"""The demo partnership's reports, action plan and publication, added by ``seed_demo``."""

import hashlib
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from dhr_tracker.accounts.models import User
from dhr_tracker.reports.models import Action, CandidateStatus, PublishedItem, Recommendation, ReportVersion
from dhr_tracker.reviews.models import Review
from tests.sharing.conftest import clean_storage

__all__ = ["clean_storage"]  # a fixture, used by name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_storage")]

Make = Callable[..., Client]


def _user(name: str) -> User:
    return User.objects.get(email=f"{name}@exampleshire.example")


@pytest.fixture
def seeded() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())


@pytest.mark.usefixtures("seeded")
def test_seed_demo_drafts_one_review_and_publishes_another_once() -> None:
    states = dict(Review.objects.values_list("reference", "state"))
    assert states["DHR-2025-07"] == "analysis_drafting"
    assert states["DHR-2024-05"] == "published"
    assert ReportVersion.objects.filter(report__review__reference="DHR-2025-07").count() == 1
    published = Review.objects.get(reference="DHR-2024-05")
    assert Recommendation.objects.filter(review=published).count() == 2
    assert sorted(published.themes.values_list("theme", flat=True)) == [
        "Coercive control",
        "Economic abuse",
        "Mental health",
    ]
    assert {c.status for c in published.candidates.all()} == {CandidateStatus.CLEAR}


@pytest.mark.usefixtures("seeded")
def test_the_chair_sees_version_1_out_for_comment_and_shared_with_the_family(verified_client: Make) -> None:
    review = Review.objects.get(reference="DHR-2025-07")
    version = ReportVersion.objects.get(report__review=review)
    document_version = version.document_version
    assert document_version.file_name.endswith(".docx")
    assert document_version.wrapped_key

    page = verified_client(_user("independent-chair")).get(reverse("reports:reports", args=[review.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Version 1" in text
    round_ = version.rounds.get()
    assert f"Overview report, version 1</a>: comments due {round_.due_on:%-d %B %Y}; 1 open comment" in text
    assert "not returned yet" in text


@pytest.mark.usefixtures("seeded")
def test_the_action_plan_shows_the_overdue_action_red(verified_client: Make) -> None:
    review = Review.objects.get(reference="DHR-2024-05")
    overdue = Action.objects.get(
        recommendation__review=review, completed_on__isnull=True, target_on__lt=review.published_on
    )

    page = verified_client(_user("coordinator")).get(reverse("reports:action_plan", args=[review.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert overdue.text in text
    assert '<strong class="govuk-tag govuk-tag--red">Red: overdue</strong>' in text
    assert "Complete" in text


@pytest.mark.usefixtures("seeded")
def test_the_published_review_is_public_with_its_files_and_their_sha256() -> None:
    review = Review.objects.get(reference="DHR-2024-05")
    anonymous = Client()

    listing = anonymous.get(reverse("reports:public_list"))

    assert listing.status_code == 200
    assert "DHR-2024-05" in listing.content.decode()
    publication = review.publication
    page = anonymous.get(reverse("reports:public_review", args=[review.partnership.slug, publication.pk]))
    assert page.status_code == 200
    items = list(PublishedItem.objects.filter(publication=publication))
    assert sorted(item.item for item in items) == ["overview", "summary"]
    for item in items:
        assert item.sha256 in page.content.decode()
        download = anonymous.get(reverse("reports:public_file", args=[item.pk]))
        assert download.status_code == 200
        assert download.content.startswith(b"%PDF")
        assert hashlib.sha256(download.content).hexdigest() == item.sha256


@pytest.mark.usefixtures("seeded")
def test_the_partnerships_learning_page_shows_the_recommendations(verified_client: Make) -> None:
    review = Review.objects.get(reference="DHR-2024-05")

    page = verified_client(_user("csp-chair")).get(reverse("reports:learning", args=[review.partnership_id]))

    text = page.content.decode()
    assert page.status_code == 200
    for recommendation in Recommendation.objects.filter(review=review):
        assert recommendation.text in text

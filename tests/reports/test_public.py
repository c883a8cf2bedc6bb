"""The public pages: published reviews without signing in, their files with SHA-256, search and
filters across partnerships, and nothing once a review is taken down."""

import hashlib
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.reports.models import Publication, PublishedItem
from dhr_tracker.reports.services import publication as services
from dhr_tracker.reports.views import publication as publication_views
from dhr_tracker.reviews.models import PersonRole
from dhr_tracker.reviews.services import notifications
from dhr_tracker.reviews.services.notifications import PersonLine
from tests.factories import PartnershipFactory
from tests.reports.conftest import ReportWorld
from tests.reports.test_publication import make_ready, publish
from tests.reviews.conftest import notification_fields


@pytest.fixture
def world(report_world: ReportWorld) -> ReportWorld:
    return report_world


@pytest.fixture
def published(world: ReportWorld) -> tuple[Publication, dict[str, bytes]]:
    files = make_ready(world)
    return publish(world, title="Review into the death of Adult A"), files


def test_published_review_is_public_with_its_sha256_and_downloads_byte_identical(
    world: ReportWorld, published: tuple[Publication, dict[str, bytes]]
) -> None:
    publication, files = published
    visitor = Client()
    slug = world.review.partnership.slug

    listing = visitor.get(reverse("reports:public_list"))
    assert listing.status_code == 200
    assert "Review into the death of Adult A" in listing.content.decode()

    page = visitor.get(reverse("reports:public_review", args=[slug, publication.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    for name, content in files.items():
        item = PublishedItem.objects.get(publication=publication, item=name)
        assert hashlib.sha256(content).hexdigest() in text
        assert reverse("reports:public_file", args=[item.pk]) in text
        download = visitor.get(reverse("reports:public_file", args=[item.pk]))
        assert download.status_code == 200
        assert download.content == content
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"] == (
            f"attachment; filename=\"DHR-2026-01-{name}.pdf\"; filename*=UTF-8''DHR-2026-01-{name}.pdf"
        )
        assert download["X-Content-Type-Options"] == "nosniff"
    assert "Review sections" not in text
    assert "Sign out" not in text
    # The public is not told its pages are OFFICIAL-SENSITIVE records.
    assert "OFFICIAL-SENSITIVE" not in text
    assert "OFFICIAL-SENSITIVE" not in listing.content.decode()


def test_public_pages_show_no_review_navigation_even_to_someone_signed_in(
    world: ReportWorld, published: tuple[Publication, dict[str, bytes]]
) -> None:
    publication, _ = published
    page = world.client(world.coordinator).get(
        reverse("reports:public_review", args=[world.review.partnership.slug, publication.pk])
    )
    assert page.status_code == 200
    assert "Review sections" not in page.content.decode()
    assert reverse("reports:publication", args=[world.review.pk]) not in page.content.decode()


def test_taken_down_publication_is_gone_from_every_public_page(
    world: ReportWorld, published: tuple[Publication, dict[str, bytes]]
) -> None:
    publication, _ = published
    item = publication.items.first()
    assert item is not None
    services.unpublish(publication, actor=world.coordinator, reason="The family asked", request=None)
    visitor = Client()
    slug = world.review.partnership.slug
    assert visitor.get(reverse("reports:public_file", args=[item.pk])).status_code == 404
    assert visitor.get(reverse("reports:public_review", args=[slug, publication.pk])).status_code == 404
    listing = visitor.get(reverse("reports:public_partnership", args=[slug]))
    assert listing.status_code == 200
    assert "Review into the death of Adult A" not in listing.content.decode()


def test_the_task_takes_the_file_down_when_the_period_ends(
    world: ReportWorld, published: tuple[Publication, dict[str, bytes]]
) -> None:
    publication, _ = published
    item = publication.items.first()
    assert item is not None
    assert publication.remove_on is not None
    services.unpublish_due(today=publication.remove_on)
    assert Client().get(reverse("reports:public_file", args=[item.pk])).status_code == 404


def test_unpublished_review_is_never_public(world: ReportWorld) -> None:
    make_ready(world)
    publication = Publication.objects.get(review=world.review)
    visitor = Client()
    assert (
        visitor.get(reverse("reports:public_review", args=[world.review.partnership.slug, publication.pk])).status_code
        == 404
    )
    assert "DHR-2026-01" not in visitor.get(reverse("reports:public_list")).content.decode()


def test_wrong_partnership_in_the_address_is_not_found(
    world: ReportWorld, published: tuple[Publication, dict[str, bytes]]
) -> None:
    publication, _ = published
    other = world.chronologies.reviews.personas.other_partnership
    assert Client().get(reverse("reports:public_review", args=[other.slug, publication.pk])).status_code == 404
    assert Client().get(reverse("reports:public_partnership", args=["no-such-partnership"])).status_code == 404


def other_publication(
    world: ReportWorld, title: str, published_on: date, *, reference: str = "OB-2025-07"
) -> Publication:
    """A live publication of another partnership's review, put in place directly: the list only reads it."""
    personas = world.chronologies.reviews.personas
    review = notifications.record_notification(
        actor=personas.outsider,
        partnership_id=personas.other_partnership.pk,
        fields=notification_fields(reference=reference),
        place_of_death="",
        people=[PersonLine(PersonRole.VICTIM, "Adult C", "", None, "")],
        not_a_duplicate=True,
        request=None,
    )
    return Publication.objects.create(
        review=review, published_on=published_on, title=title, remove_on=published_on + timedelta(days=365)
    )


def test_search_and_partnership_filter(world: ReportWorld, published: tuple[Publication, dict[str, bytes]]) -> None:
    visitor = Client()
    url = reverse("reports:public_list")
    partnership = world.review.partnership
    PartnershipFactory.create(name="Emptyshire Community Safety Partnership")

    for query in ("death of Adult A", "dhr-2026", "Exampleshire"):
        found = visitor.get(url, {"q": query}).content.decode()
        assert "Review into the death of Adult A" in found, query
    assert "No published reviews match your search" in visitor.get(url, {"q": "Nothing like it"}).content.decode()
    filtered = visitor.get(url, {"partnership": partnership.slug}).content.decode()
    assert "Review into the death of Adult A" in filtered
    choices = visitor.get(url).content.decode()
    assert "Emptyshire" not in choices
    own = visitor.get(reverse("reports:public_partnership", args=[partnership.slug])).content.decode()
    assert f"{partnership.name}: published reviews" in own
    assert "Review into the death of Adult A" in own


def test_list_is_across_partnerships_newest_first_filtered_and_paginated(
    world: ReportWorld, published: tuple[Publication, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    older = other_publication(world, "Otherborough review of Adult C", timezone.localdate() - timedelta(days=30))
    visitor = Client()
    url = reverse("reports:public_list")
    page = visitor.get(url).content.decode()
    assert page.index("Review into the death of Adult A") < page.index("Otherborough review of Adult C")

    other_slug = older.review.partnership.slug
    filtered = visitor.get(url, {"partnership": other_slug}).content.decode()
    assert "Otherborough review of Adult C" in filtered
    assert "Review into the death of Adult A" not in filtered
    own = visitor.get(reverse("reports:public_partnership", args=[other_slug])).content.decode()
    assert "Otherborough review of Adult C" in own
    assert "Review into the death of Adult A" not in own

    monkeypatch.setattr(publication_views, "PAGE_SIZE", 1)
    first = visitor.get(url, {"q": "review"}).content.decode()
    second = visitor.get(url, {"q": "review", "page": "2"}).content.decode()
    assert "Page 1 of 2" in first
    assert "?q=review&amp;page=2" in first
    assert "Otherborough review of Adult C" in second
    assert "Review into the death of Adult A" not in second


def test_list_queries_do_not_grow_with_the_publications(
    world: ReportWorld, published: tuple[Publication, dict[str, bytes]], django_assert_max_num_queries: Any
) -> None:
    for number in range(3):
        other_publication(world, f"Otherborough review {number}", timezone.localdate(), reference=f"OB-{number}")
    with django_assert_max_num_queries(6):
        page = Client().get(reverse("reports:public_list"))
    assert page.content.decode().count("Otherborough review") == 3

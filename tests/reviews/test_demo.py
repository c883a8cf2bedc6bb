"""The demo partnership's reviews, added by ``seed_demo``."""

from io import StringIO

import pytest
from django.core.management import call_command

from dhr_tracker.accounts.models import User
from dhr_tracker.reviews import access
from dhr_tracker.reviews.models import Review

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_reviews_at_different_stages_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    # The reviews' own demo, moved on by the chronologies and reports demos, and a published one.
    states = dict(Review.objects.values_list("reference", "state"))
    assert states == {
        "DHR-2024-05": "published",
        "DHR-2025-07": "analysis_drafting",
        "DHR-2026-03": "paused",
        "DHR-2026-04": "notified",
    }
    drafting = Review.objects.get(reference="DHR-2025-07")
    assert drafting.space is not None
    chair = User.objects.get(email="independent-chair@exampleshire.example")
    assert set(access.visible_reviews(chair)) == set(
        Review.objects.filter(reference__in=["DHR-2025-07", "DHR-2024-05"])
    )
    outsider = User.objects.get(email="outsider@exampleshire.example")
    assert list(access.visible_reviews(outsider)) == []

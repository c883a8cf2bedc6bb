"""The demo partnership's reviews, added by ``seed_demo``."""

from io import StringIO

import pytest
from django.core.management import call_command

from dhr_tracker.accounts.models import User
from dhr_tracker.reviews import access
from dhr_tracker.reviews.models import Review

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_three_reviews_at_different_stages_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    states = dict(Review.objects.values_list("reference", "state"))
    assert states == {
        "DHR-2025-07": "information_gathering",
        "DHR-2026-03": "paused",
        "DHR-2026-04": "notified",
    }
    gathering = Review.objects.get(reference="DHR-2025-07")
    assert gathering.space is not None
    chair = User.objects.get(email="independent-chair@exampleshire.example")
    assert list(access.visible_reviews(chair)) == [gathering]
    outsider = User.objects.get(email="outsider@exampleshire.example")
    assert list(access.visible_reviews(outsider)) == []

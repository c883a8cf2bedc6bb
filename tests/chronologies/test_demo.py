"""The demo review's requests and chronologies, added by ``seed_demo``."""

from io import StringIO

import pytest
from django.core.management import call_command

from dhr_tracker.accounts.models import User
from dhr_tracker.chronologies import access
from dhr_tracker.chronologies.models import AgencyRequest, Entry
from dhr_tracker.reviews.models import Review

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_the_gathering_review_a_combined_chronology_of_two_agencies_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    review = Review.objects.get(reference="DHR-2025-07")
    statuses = sorted(AgencyRequest.objects.filter(review=review).values_list("agency__name", "kind", "status"))
    assert statuses == [
        ("Exampleshire Hospitals NHS Foundation Trust", "chronology", "complete"),
        ("Exampleshire Police", "chronology", "complete"),
        ("Exampleshire Police", "imr", "open"),
    ]
    entries = Entry.objects.filter(review=review, combined=True)
    assert entries.count() == 10
    assert list(entries.order_by("order_key").values_list("on", flat=True)[:3]) == ["2022", "2023-02-05", "2023-03"]
    hospitals = AgencyRequest.objects.get(review=review, agency__name__startswith="Exampleshire Hospitals")
    assert list(hospitals.submissions.order_by("number").values_list("number", "status")) == [
        (1, "returned"),
        (2, "accepted"),
    ]
    chair = User.objects.get(email="independent-chair@exampleshire.example")
    assert access.can_see_combined(chair, review)
    health = User.objects.get(email="health@exampleshire.example")
    assert [r.agency.name for r in access.visible_requests(health)] == ["Exampleshire Hospitals NHS Foundation Trust"]
    assert not access.can_see_combined(health, review)

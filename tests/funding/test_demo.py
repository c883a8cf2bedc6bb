"""The demo partnership's funds, applications and ledgers, added by ``seed_demo``."""

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from dhr_tracker.accounts.models import User
from dhr_tracker.funding import ledgers
from dhr_tracker.funding.models import Application, ApplicationStatus, CostEntry, FundingStream
from dhr_tracker.reviews.models import Review
from tests.conftest import EventLog
from tests.sharing.conftest import clean_storage

__all__ = ["clean_storage"]  # a fixture, used by name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_storage")]


def _user(name: str) -> User:
    return User.objects.get(email=f"{name}@exampleshire.example")


@pytest.fixture
def seeded() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())


@pytest.mark.usefixtures("seeded")
def test_seed_demo_adds_two_funds_two_applications_and_two_ledgers_once(security_events: EventLog) -> None:
    assert FundingStream.objects.count() == 2
    statuses = sorted(Application.objects.values_list("status", flat=True))
    assert statuses == [ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED]
    assert CostEntry.objects.filter(ledger__review__reference="DHR-2024-05").count() == 5
    published = ledgers.summary(Review.objects.get(reference="DHR-2024-05"))
    assert published.total.budget == 1_500_000
    assert published.total.actual == 1_223_000
    assert published.total.outstanding == 0  # the chair's contract is settled by its two invoices
    assert published.agreed == published.received == 1_100_000
    # Every change went through a service, with its event.
    assert security_events.actions().count("funding.application_submitted") == 1


@pytest.mark.usefixtures("seeded")
def test_the_demo_coordinator_sees_the_funding_pages(verified_client: Callable[..., Client]) -> None:
    client = verified_client(_user("coordinator"))
    draft = Application.objects.get(status=ApplicationStatus.DRAFT)
    review = Review.objects.get(reference="DHR-2024-05")
    for url in (
        reverse("home"),
        reverse("funding:streams"),
        reverse("funding:applications"),
        reverse("funding:application", args=[draft.pk]),
        reverse("funding:ledger", args=[review.pk]),
        reverse("funding:partnership_ledger", args=[review.partnership_id]),
    ):
        assert client.get(url).status_code == 200, url
    assert "Funding deadlines" in client.get(reverse("home")).text

"""Two people save the same record at the same moment: one save wins whole, the other is told.

The CSP chair and the coordinator open the same review's details, each changes a different field,
and both press save together against a live server, so that their two transactions really race on
PostgreSQL. The review's version (optimistic locking, ``reviews.services.locked``) lets exactly one
through; the other is shown the stale message and nothing of theirs is mixed into the winner's.
``tests/reviews/test_notifications.py`` shows the same rule for two saves one after the other.
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import STALE_MESSAGE
from tests.conftest import EventLog
from tests.reliability.conftest import needs_postgresql, session_of
from tests.reliability.processes import Browser, Page
from tests.reviews.conftest import ReviewWorld, review_world
from tests.reviews.test_notifications import _edit_data

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgresql]
__all__ = ["review_world"]  # a fixture, used by name


def test_two_people_saving_a_review_at_once_one_wins_whole_and_the_other_is_told(
    review_world: ReviewWorld,
    verified_client: Callable[..., Client],
    live_server: LiveServer,
    security_events: EventLog,
) -> None:
    review = review_world.review
    url = reverse("reviews:edit", args=[review.pk])
    people = review_world.personas
    changes = {
        people.csp_chair.email: {"police_force": "Chair's force"},
        people.coordinator.email: {"senior_investigating_officer": "DCI Coordinator"},
    }
    browsers = {
        person.email: Browser(live_server.url, session_of(verified_client(person)))
        for person in (people.csp_chair, people.coordinator)
    }
    # Both open the form, built from the same version of the review.
    tokens = {email: browser.form_token(url) for email, browser in browsers.items()}
    opened = _edit_data(review)
    together = threading.Barrier(len(browsers))
    answers: dict[str, tuple[float, Page, float]] = {}

    def save(email: str) -> None:
        together.wait()
        started = time.monotonic()
        page = browsers[email].post(url, {**opened, **changes[email]}, token=tokens[email])
        answers[email] = (started, page, time.monotonic())

    threads = [threading.Thread(target=save, args=(email,)) for email in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert max(started for started, _, _ in answers.values()) < min(ended for _, _, ended in answers.values())
    statuses = {email: page.status for email, (_, page, _) in answers.items()}
    assert sorted(statuses.values()) == [302, 400]
    winner = next(email for email, status in statuses.items() if status == 302)
    (loser,) = set(browsers) - {winner}
    told = answers[loser][1].text
    assert STALE_MESSAGE.split(",")[0] in told
    saved = Review.objects.get(pk=review.pk)
    assert saved.version == review.version + 1
    expected = {**_edit_data(review), **changes[winner]}
    assert (saved.police_force, saved.senior_investigating_officer) == (
        expected["police_force"],
        expected["senior_investigating_officer"],
    )
    changed = [event for event in security_events.rows() if event.action == "reviews.notification_changed"]
    assert [(event.actor_email, event.details["fields"]) for event in changed] == [(winner, sorted(changes[winner]))]

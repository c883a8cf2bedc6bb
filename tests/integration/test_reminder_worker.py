"""Reminders are sent once each by a real Celery worker on Redis: across runs, a restart and two at once."""

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

from dhr_tracker.celery import app
from dhr_tracker.reviews.models import Meeting, ReminderSent
from dhr_tracker.reviews.tasks import send_reminders
from tests.reviews.conftest import ReviewWorld, review_world

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
__all__ = ["review_world"]  # a fixture, used by name

SEND_REMINDERS = "dhr_tracker.reviews.tasks.send_reminders"


class SlowBackend(EmailBackend):
    """A mail server that takes its time, so that two runs overlap while one is sending."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        time.sleep(0.5)
        return super().send_messages(messages)


@contextmanager
def worker(*, pool: str = "solo", concurrency: int = 1) -> Iterator[None]:
    """Run a worker thread consuming from Redis; leaving the block stops it, as a restart would.

    The ``celery_worker`` fixture (conftest) runs one solo worker for a
    whole test; these tests stop and start it within a test, and run two deliveries at once.
    """
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool=pool, concurrency=concurrency, perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True


@dataclass
class Runs:
    """What the worker did with ``send_reminders``: when each run started and what it returned."""

    started: list[float] = field(default_factory=list)
    finished: list[tuple[float, str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def returned(self) -> list[Any]:
        with self.lock:
            return [value for _, state, value in self.finished if state == "SUCCESS"]

    def wait_for(self, successes: int, timeout: float = 30) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.returned()) < successes and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.returned()) == successes, f"the worker finished {self.finished}"
        return self.returned()


@pytest.fixture
def runs() -> Iterator[Runs]:
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    seen = Runs()

    def on_start(sender: Any, **_: Any) -> None:
        if sender.name == SEND_REMINDERS:
            with seen.lock:
                seen.started.append(time.monotonic())

    def on_finish(sender: Any, state: str, retval: Any, **_: Any) -> None:
        if sender.name == SEND_REMINDERS:
            with seen.lock:
                seen.finished.append((time.monotonic(), state, retval))

    task_prerun.connect(on_start, weak=False)
    task_postrun.connect(on_finish, weak=False)
    try:
        yield seen
    finally:
        task_prerun.disconnect(on_start)
        task_postrun.disconnect(on_finish)


@pytest.fixture
def two_due(review_world: ReviewWorld) -> list[str]:
    """The CSP chair's decision is due in about ten days and the panel member's action tomorrow."""
    review = review_world.review
    meeting = Meeting.objects.create(
        review=review, held_on=review.notified_on, recorded_by=review_world.personas.coordinator
    )
    meeting.actions.create(
        text="Send the chronology", owner=review_world.panel_member, due_on=timezone.localdate() + timedelta(days=1)
    )
    return sorted([review_world.personas.csp_chair.email, review_world.panel_member.email])


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_each_reminder_is_sent_once_across_runs_and_a_restart(runs: Runs, two_due: list[str]) -> None:
    with worker():
        send_reminders.delay()
        runs.wait_for(1)
        send_reminders.delay()
        runs.wait_for(2)
    # Beat fires while the worker is down; the restarted worker picks the message up.
    send_reminders.delay()
    with worker():
        returned = runs.wait_for(3)

    assert returned == [2, 0, 0]
    assert recipients() == two_due
    assert ReminderSent.objects.count() == 2


def test_two_deliveries_at_once_send_each_reminder_once(runs: Runs, two_due: list[str], settings: Any) -> None:
    """Two worker threads run the task together: the unique key lets one of them send each e-mail."""
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"

    with worker(pool="threads", concurrency=2):
        send_reminders.delay()
        send_reminders.delay()
        returned = runs.wait_for(2)

    first_finished = min(at for at, _, _ in runs.finished)
    assert len(runs.started) >= 2
    assert sorted(runs.started)[1] < first_finished, "the two runs did not overlap"
    assert sum(returned) == 2
    assert recipients() == two_due
    assert ReminderSent.objects.count() == 2

"""Redis down: pages still work, work that would be queued waits, and it is all caught up when Redis returns.

Only Celery uses Redis in a request (sessions and lock-outs live in the database; there is no
cache): it publishes tasks. With the broker refusing connections a publish fails after Celery's
publish retries (about 0.6 s with the default ``task_publish_retry_policy``); a hung broker is
``test_broker_hangs.py``. Each place that queues work therefore queues it after its commit,
robustly: the person gets the normal answer, and the work waits in the database (an upload pending
in the spool, an import waiting to start) for the beat sweeps, which queue it again once Redis is
back. Beat itself cannot publish while Redis is down and skips that run
(``celery.beat.Scheduler.apply_entry`` logs the error; the entry was already moved to its next
time): beat's next run sends the reminders that fell due, once (``test_beat_catch_up.py``: within
the hour). A password e-mail cannot wait anywhere: it is lost, and logged, and the person asks again.
"""

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from dhr_tracker.accounts.models import User
from dhr_tracker.celery import app
from dhr_tracker.chronologies.models import Entry, ImportJob, ImportStatus, Submission
from dhr_tracker.reviews.models import ReminderSent
from dhr_tracker.reviews.reminders import due_reminders
from sharing.models import DocumentVersion, VersionStatus
from tests.chronologies.conftest import ChronologyWorld, chronology_world
from tests.chronologies.test_imports import draft
from tests.chronologies.upload_helpers import csv_bytes
from tests.integration.test_import_worker import rows
from tests.integration.test_reminder_worker import two_due
from tests.reliability.conftest import needs_postgresql, queueing, session_of
from tests.reliability.processes import (
    Browser,
    Page,
    Process,
    RedisServer,
    answering,
    celery_worker,
    gunicorn,
    running,
)
from tests.reviews.conftest import review_world
from tests.sharing.conftest import clean_storage
from tests.sharing.samples import sample
from tests.subprocesses import app_environment

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), needs_postgresql]
__all__ = ["chronology_world", "clean_storage", "draft", "review_world", "two_due"]  # fixtures, used by name

# A page must answer as quickly with the queue down as a person would wait for it.
PAGE_SECONDS = 2.0
SEND_REMINDERS = "dhr_tracker.reviews.tasks.send_reminders"
# What beat runs that catches up work left waiting (sharing.tasks.STALE_PENDING, chronologies.tasks.STALE_QUEUED).
SWEEPS = ("sharing.tasks.sweep_uploads", "dhr_tracker.chronologies.tasks.sweep_imports")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def beat_sends(broker: RedisServer, task: str) -> None:
    """Publish ``task`` to ``broker`` as Celery beat does when it falls due."""
    with queueing(), app.connection_for_write(broker.url) as connection:
        app.send_task(task, connection=connection)


def answered(page: Page, status: int) -> Page:
    assert page.status == status, page.text
    assert page.seconds < PAGE_SECONDS
    return page


def reminder_runs(worker: Process) -> list[int]:
    """How many reminders each finished run of the reminders task sent, from the worker's log."""
    finished = rf"Task {re.escape(SEND_REMINDERS)}\[[\w-]+\] succeeded in [\d.]+s: (\d+)"
    return [int(sent) for sent in re.findall(finished, worker.output())]


def wait_until(ready: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"{what} did not happen"
        time.sleep(0.1)


def test_with_redis_down_pages_work_and_queued_work_waits_and_is_caught_up_once_when_it_returns(
    chronology_world: ChronologyWorld,
    draft: Submission,
    two_due: list[str],
    verified_client: Callable[..., Client],
    test_database: str,
    broker: RedisServer,
    clean_storage: None,
    tmp_path: Path,
) -> None:
    people = chronology_world.reviews.personas
    review = chronology_world.review
    space = review.space
    assert space is not None
    due = due_reminders(timezone.localdate())
    assert due, "a reminder must fall due for the test to show anything"

    def browser_of(person: User) -> Browser:
        return Browser(address, session_of(verified_client(person)))

    env = app_environment(database=test_database, CELERY_BROKER_URL=broker.url)
    server, address = gunicorn(env, tmp_path / "gunicorn.log", workers=1)
    with running(server):
        answering(server, address)
        contributor, coordinator, auditor = map(
            browser_of, (chronology_world.contributor_a, people.coordinator, people.auditor)
        )
        broker.stop()

        answered(coordinator.get("/"), 200)
        assert review.reference in answered(coordinator.get(f"/reviews/{review.pk}/"), 200).text
        answered(auditor.get("/audit/events/"), 200)
        reset = answered(Browser(address).post("/password-reset/", {"email": people.csp_chair.email}), 200)
        assert "Check your e-mail" in reset.text
        uploaded = contributor.post(
            reverse("sharing:document_upload", args=[space.pk]),
            {"title": "Police chronology", "description": "", "classification": "official"},
            file=("chronology.pdf", sample("pdf")),
        )
        answered(uploaded, 302)
        imported = contributor.post(
            reverse("chronologies:import_new", args=[draft.pk]),
            {},
            file=("chronology.csv", csv_bytes(rows(10))),
        )
        progress = answered(contributor.get(answered(imported, 302).header("Location") or ""), 200)
        assert "Waiting to start" in progress.text
        with pytest.raises(BrokerUnavailable):
            beat_sends(broker, SEND_REMINDERS)
        log = server.output()

    version = DocumentVersion.objects.get(document__space=space)
    job = ImportJob.objects.get(submission=draft)
    assert (version.status, job.status) == (VersionStatus.PENDING, ImportStatus.QUEUED)
    assert not ReminderSent.objects.exists()
    assert "could not be queued; it waits for the sweep" in log
    # Logged, never a server error.
    assert "Internal Server Error" not in log

    broker.start()
    # As if Redis had been down for longer than the sweeps wait before queueing work again.
    waited = timezone.now() - timedelta(minutes=11)
    DocumentVersion.objects.filter(pk=version.pk).update(uploaded_at=waited)
    ImportJob.objects.filter(pk=job.pk).update(created_at=waited)
    with running(celery_worker(env, tmp_path / "worker.log", name="catching-up")) as worker:
        for task in (*SWEEPS, SEND_REMINDERS):
            beat_sends(broker, task)
        wait_until(lambda: ImportJob.objects.get(pk=job.pk).finished, "the import")
        wait_until(lambda: DocumentVersion.objects.get(pk=version.pk).status != VersionStatus.PENDING, "the upload")
        wait_until(lambda: len(reminder_runs(worker)) == 1, "the reminders")
        # Beat's run after that: everything is sent already.
        beat_sends(broker, SEND_REMINDERS)
        wait_until(lambda: len(reminder_runs(worker)) == 2, "the second run of the reminders")
        emailed = re.findall(r"\bTo: (\S+)", worker.output())

    assert DocumentVersion.objects.get(pk=version.pk).status == VersionStatus.AVAILABLE
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE
    assert Entry.objects.filter(submission=draft).count() == 10
    assert reminder_runs(worker) == [len(due), 0]
    assert sorted(ReminderSent.objects.values_list("key", flat=True)) == sorted(reminder.key for reminder in due)
    assert sorted(emailed) == sorted(reminder.recipient.email for reminder in due)

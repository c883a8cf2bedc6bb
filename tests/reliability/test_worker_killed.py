"""A Celery worker killed in the middle of a chronology import: the import is redelivered to the
next worker and its rows reach the draft once.

The task is acknowledged late (``CELERY_TASK_ACKS_LATE``), so Redis still holds it, unacknowledged,
when the worker dies. kombu's Redis transport keeps each delivered message in ``unacked`` with its
delivery time in the sorted set ``unacked_index``, and ``QoS.restore_visible`` puts back on the
queue every message delivered more than ``visibility_timeout`` seconds ago. A worker calls it
once as its event loop starts (``MultiChannelPoller.on_poll_init``) and then every
``unacked_restore_interval`` x ``unacked_restore_throttle`` seconds (10 x 10 by default): see
``kombu/transport/redis.py``. So the test waits until the visibility timeout (5 s here, 3600 s by
default) has passed since the delivery, then starts the next worker, which takes the import over
at once.
"""

import re
import time
from pathlib import Path
from typing import cast

import pytest
import redis
from django.conf import settings

from dhr_tracker.chronologies.models import IMPORT_FINISHED, Entry, ImportJob, ImportStatus, Submission
from dhr_tracker.chronologies.services import imports
from tests.chronologies.conftest import ChronologyWorld, chronology_world
from tests.chronologies.test_imports import draft
from tests.chronologies.upload_helpers import csv_bytes
from tests.conftest import EventLog
from tests.integration.test_import_worker import rows
from tests.reliability.conftest import needs_postgresql, queueing
from tests.reliability.processes import Process, celery_worker, running
from tests.reviews.conftest import review_world
from tests.subprocesses import app_environment

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), needs_postgresql]
__all__ = ["chronology_world", "draft", "review_world"]  # fixtures, used by name

# Enough rows that saving them takes seconds, so the worker can be caught in the middle.
ROWS = 5_000
VISIBILITY_TIMEOUT = 5


def received(worker: Process) -> list[str]:
    """The ids of the import tasks the worker received, from its log."""
    return re.findall(r"Task dhr_tracker\.chronologies\.tasks\.run_import\[([\w-]+)\] received", worker.output())


def wait_for(job: ImportJob, statuses: set[str], timeout: float) -> ImportJob:
    deadline = time.monotonic() + timeout
    while True:
        job.refresh_from_db()
        if job.status in statuses or time.monotonic() > deadline:
            return job
        time.sleep(0.02)


def test_a_worker_killed_while_saving_an_import_leaves_the_draft_as_it_was_and_the_next_worker_imports_it_once(
    chronology_world: ChronologyWorld,
    draft: Submission,
    test_database: str,
    security_events: EventLog,
    tmp_path: Path,
) -> None:
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    env = app_environment(
        database=test_database,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
    )
    before = list(Entry.objects.filter(submission=draft).values_list("pk", flat=True))

    with running(celery_worker(env, tmp_path / "first.log", name="first")) as first:
        with queueing():
            job = imports.start_import(
                draft,
                actor=chronology_world.contributor_a,
                content=csv_bytes(rows(ROWS)),
                file_name="chronology.csv",
                request=None,
            )
        wait_for(job, {ImportStatus.SAVING, *IMPORT_FINISHED}, timeout=60)
        first.kill()

    job.refresh_from_db()
    assert job.status == ImportStatus.SAVING, f"the worker was not caught saving:\n{first.output()}"
    # Its transaction died with it: the draft is as it was.
    assert list(Entry.objects.filter(submission=draft).values_list("pk", flat=True)) == before
    # The one message delivered and not acknowledged, scored with the time it was delivered.
    ((_, delivered_at),) = cast(list[tuple[bytes, float]], broker.zrange("unacked_index", 0, -1, withscores=True))
    time.sleep(max(0.0, delivered_at + VISIBILITY_TIMEOUT + 0.5 - time.time()))

    with running(celery_worker(env, tmp_path / "second.log", name="second")) as second:
        job = wait_for(job, set(IMPORT_FINISHED), timeout=60)

    assert job.status == ImportStatus.DONE, second.output()
    assert received(first) == received(second), "the second worker ran another message, not the one redelivered"
    assert (job.entries_saved, job.content_enc) == (ROWS, "")
    saved = list(Entry.objects.filter(submission=draft).values_list("event", flat=True))
    assert sorted(saved) == sorted(f"Contact number {n}" for n in range(ROWS))
    imported = [event for event in security_events.rows() if event.action == "chronologies.chronology_imported"]
    assert [event.details["job"] for event in imported] == [str(job.pk)]

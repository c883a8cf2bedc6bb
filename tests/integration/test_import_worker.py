"""A real Celery worker on Redis imports a chronology file: the page follows its progress to the end,
and a file with errors leaves the draft as it was."""

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from celery.signals import task_prerun
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from dhr_tracker.chronologies import importing
from dhr_tracker.chronologies.models import Entry, ImportJob, ImportStatus, Submission
from dhr_tracker.chronologies.services import imports
from tests.chronologies.conftest import ChronologyWorld, chronology_world
from tests.chronologies.test_imports import draft
from tests.chronologies.upload_helpers import GOOD_ROW, csv_bytes, xlsx
from tests.reviews.conftest import review_world

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
__all__ = ["chronology_world", "draft", "review_world"]  # fixtures, used by name

ROWS = 2_500
RUN_IMPORT = "dhr_tracker.chronologies.tasks.run_import"


@dataclass
class Gates:
    """Where the worker waits for the test: before it starts the import, and after its first progress report.

    The first gate also keeps the worker off the database until the upload's response is complete:
    SQLite's shared in-memory test database refuses, rather than waits for, a write that overlaps another.
    """

    start: threading.Event = field(default_factory=threading.Event)
    first_report: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def gates(celery_worker: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gates]:
    """Gates the worker waits at; opened at the end so that the worker can stop."""
    held = Gates()
    real = imports._progress

    def before_task(sender: Any, **_: Any) -> None:
        if sender.name == RUN_IMPORT:
            held.start.wait(timeout=30)

    def paused(job_id: Any) -> Callable[[int], None]:
        report = real(job_id)

        def wait(count: int) -> None:
            report(count)
            if count == importing.PROGRESS_EVERY:
                held.first_report.wait(timeout=30)

        return wait

    monkeypatch.setattr(imports, "_progress", paused)
    task_prerun.connect(before_task, weak=False)
    try:
        yield held
    finally:
        held.start.set()
        held.first_report.set()
        task_prerun.disconnect(before_task)


def rows(count: int) -> list[tuple[object, ...]]:
    return [
        (f"{n % 28 + 1}/{n % 12 + 1}/2019", *GOOD_ROW[1:5], f"Contact number {n}", *GOOD_ROW[6:]) for n in range(count)
    ]


def upload(client: Client, draft: Submission, content: bytes, name: str) -> ImportJob:
    response = client.post(
        reverse("chronologies:import_new", args=[draft.pk]), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 302, response.content
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def page_until(client: Client, job: ImportJob, done: Callable[[str], bool], timeout: float = 60) -> str:
    """Open the progress page, as its refresh does, until ``done`` says what it shows is the awaited state."""
    deadline = time.monotonic() + timeout
    while True:
        # SQLite's shared in-memory test database refuses a read, or the session's save, while the
        # worker writes, where PostgreSQL would wait: as a person would, the page's next refresh reads it.
        try:
            response = client.get(reverse("chronologies:import_progress", args=[job.pk]))
            text = response.text if response.status_code == 200 else ""
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            text = ""
        if text and done(text):
            return text
        if time.monotonic() > deadline:
            job.refresh_from_db()
            pytest.fail(f"the page never showed what was awaited; the import is {job.status}")
        time.sleep(0.5)


def test_the_worker_imports_a_file_and_the_page_follows_it(
    chronology_world: ChronologyWorld, draft: Submission, gates: Gates
) -> None:
    """The worker pauses at its first progress report until the page has shown it, then finishes."""
    client = chronology_world.client(chronology_world.contributor_a)

    job = upload(client, draft, xlsx(rows(ROWS)), "chronology.xlsx")
    queued = page_until(client, job, lambda text: "Waiting to start" in text)
    gates.start.set()
    reading = page_until(client, job, lambda text: "1,000" in text)
    gates.first_report.set()

    assert '<meta http-equiv="refresh" content="2">' in queued
    assert "Checking the rows" in reading
    assert '<meta http-equiv="refresh" content="2">' in reading
    finished = page_until(client, job, lambda text: "http-equiv" not in text)
    assert "2,500 entries now make up version 1" in finished
    job.refresh_from_db()
    assert (job.status, job.rows_read, job.entries_saved, job.content_enc) == (ImportStatus.DONE, ROWS, ROWS, "")
    assert Entry.objects.filter(submission=draft).count() == ROWS


def test_a_file_with_errors_leaves_the_draft_untouched(
    chronology_world: ChronologyWorld, draft: Submission, gates: Gates
) -> None:
    before = list(Entry.objects.filter(submission=draft).values_list("pk", "on", "event", "order_key"))
    client = chronology_world.client(chronology_world.contributor_a)
    bad = rows(10)
    bad[4] = ("31/02/2019", *bad[4][1:])

    job = upload(client, draft, csv_bytes(bad), "chronology.csv")
    gates.start.set()

    finished = page_until(client, job, lambda text: "http-equiv" not in text)
    assert re.search(r"Nothing was imported: 1 problem in the file", finished)
    assert "Row 6, Date: February 2019 has no day 31" in finished
    job.refresh_from_db()
    assert (job.status, job.content_enc) == (ImportStatus.PROBLEMS, "")
    assert list(Entry.objects.filter(submission=draft).values_list("pk", "on", "event", "order_key")) == before

"""Importing a chronology file into the agency's draft: checked whole, saved all or nothing, with its
progress and every problem on the page; the upload never written to disk; a failure of any kind
leaves the draft and every earlier version as they were."""

import hashlib
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.chronologies import importing, tasks
from dhr_tracker.chronologies.models import Entry, ImportJob, ImportStatus, Submission, SubmissionStatus
from dhr_tracker.chronologies.services import imports
from dhr_tracker.chronologies.services import submissions as services
from dhr_tracker.chronologies.spreadsheets import MAX_BYTES
from tests.chronologies.conftest import ChronologyWorld
from tests.chronologies.test_submissions import FIELDS, snapshot
from tests.chronologies.upload_helpers import GOOD_ROW, csv_bytes, xlsx
from tests.conftest import EventLog

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


def row(day: int, **changes: Any) -> tuple[object, ...]:
    """A good row of the template, on ``day`` March 2019."""
    values = dict(zip(importing.COLUMNS, GOOD_ROW, strict=True))
    values[importing.DATE] = f"{day}/3/2019"
    values[importing.EVENT] = f"Contact number {day}"
    values.update({getattr(importing, name): value for name, value in changes.items()})
    return tuple(values.values())


@pytest.fixture
def draft(chronology_world: ChronologyWorld) -> Submission:
    agency_request = chronology_world.send(chronology_world.agency_a)
    submission = services.start_draft(agency_request, actor=chronology_world.contributor_a, request=None)
    services.add_entry(submission, actor=chronology_world.contributor_a, fields=FIELDS, request=None)
    return submission


@pytest.fixture
def contributor(chronology_world: ChronologyWorld) -> Client:
    return chronology_world.client(chronology_world.contributor_a)


def queue(world: ChronologyWorld, draft: Submission, *days: int) -> ImportJob:
    """The agency's contributor starts importing a CSV of good rows on ``days``; its task not yet run."""
    content = csv_bytes([row(day) for day in days])
    return imports.start_import(draft, actor=world.contributor_a, content=content, file_name="c.csv", request=None)


def upload(client: Client, draft: Submission, content: bytes, name: str, capture: Capture) -> Any:
    """Upload a file as the form does, running the import task as the commit would queue it."""
    with capture(execute=True):
        return client.post(
            reverse("chronologies:import_new", args=[draft.pk]), {"file": SimpleUploadedFile(name, content)}
        )


def progress(client: Client, job: ImportJob, page: int = 1) -> Any:
    return client.get(reverse("chronologies:import_progress", args=[job.pk]), {"page": page})


def only_job() -> ImportJob:
    return ImportJob.objects.get()


# Success ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "make"), [("chronology.csv", csv_bytes), ("chronology.xlsx", xlsx)])
def test_a_file_replaces_the_drafts_entries(
    chronology_world: ChronologyWorld,
    draft: Submission,
    contributor: Client,
    django_capture_on_commit_callbacks: Capture,
    security_events: EventLog,
    name: str,
    make: Callable[..., bytes],
) -> None:
    content = make([row(3, RISK_INDICATORS="mARAC referral; Pregnancy"), row(1), row(2, TIME="")])

    response = upload(contributor, draft, content, name, django_capture_on_commit_callbacks)

    job = only_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("chronologies:import_progress", args=[job.pk])
    assert (job.status, job.rows_read, job.entries_saved, job.content_enc) == (ImportStatus.DONE, 3, 3, "")
    entries = list(Entry.objects.filter(submission=draft).order_by("position"))
    assert [(e.position, e.on, e.event) for e in entries] == [
        (1, "2019-03-03", "Contact number 3"),
        (2, "2019-03-01", "Contact number 1"),
        (3, "2019-03-02", "Contact number 2"),
    ]
    assert entries[0].risk_indicators == ["MARAC referral", "Pregnancy"]
    assert str(entries[0].at) == "14:30:00"
    assert [e.event for e in Entry.objects.filter(submission=draft).order_by("order_key")] == [
        "Contact number 1",
        "Contact number 2",
        "Contact number 3",
    ]
    draft.refresh_from_db()
    assert (draft.imported_file, draft.imported_sha256) == (name, hashlib.sha256(content).hexdigest())
    assert security_events.find("chronologies.chronology_imported").details == {
        "review": "DHR-2026-01",
        "job": str(job.pk),
        "entries": 3,
        "replaced": 1,
        "duplicates": 0,
    }
    assert security_events.find("chronologies.import_started").details["size"] == len(content)
    page = progress(contributor, job)
    assert "3 entries now make up version 1" in page.text
    assert 'http-equiv="refresh"' not in page.text


def test_duplicates_are_imported_and_flagged(
    draft: Submission, contributor: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    content = csv_bytes([row(1), row(2), row(1, EVENT="contact  NUMBER 1")])

    upload(contributor, draft, content, "chronology.csv", django_capture_on_commit_callbacks)

    job = only_job()
    assert (job.status, job.entries_saved, job.duplicates) == (ImportStatus.DONE, 3, [[2, 4]])
    page = progress(contributor, job)
    assert "Rows 2 and 4 have the same date, time, subject and event" in page.text


def test_reading_reports_its_progress_every_so_many_rows() -> None:
    seen: list[int] = []
    result = importing.read_chronology(
        csv_bytes([row(day % 28 + 1) for day in range(2_500)]),
        name="c.csv",
        risk_indicators=[],
        progress=seen.append,
    )
    assert seen == [1_000, 2_000]
    assert result.rows_checked == 2_500
    assert (
        importing.read_chronology(
            csv_bytes([row(1)] * 5), name="c.csv", risk_indicators=[], progress_every=2, progress=seen.append
        ).rows_checked
        == 5
    )
    assert seen[2:] == [2, 4]


def test_the_upload_is_never_written_to_disk(
    draft: Submission, contributor: Client, django_capture_on_commit_callbacks: Capture, settings: Any, tmp_path: Any
) -> None:
    """Django would spool anything over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; this view never does."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)

    upload(contributor, draft, xlsx([row(day) for day in range(1, 29)]), "big.xlsx", django_capture_on_commit_callbacks)

    assert only_job().status == ImportStatus.DONE
    assert list(tmp_path.iterdir()) == []


# Problems, refusals and failures ----------------------------------------------------------------


def test_a_deliberate_error_is_named_by_row_and_column_and_nothing_is_saved(
    draft: Submission, contributor: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    before = snapshot(draft)
    content = xlsx([row(1), row(2, DATE="32/13/2019"), row(3, SUBJECT="neighbour")])

    upload(contributor, draft, content, "chronology.xlsx", django_capture_on_commit_callbacks)

    job = only_job()
    assert (job.status, job.problem_count, job.content_enc, job.entries_saved) == (ImportStatus.PROBLEMS, 2, "", 0)
    assert job.problems[0] == {
        "row": 3,
        "column": "Date",
        "message": "there is no month 13. Enter a month from 1 to 12",
    }
    assert snapshot(draft) == before
    page = progress(contributor, job)
    assert "Nothing was imported: 2 problems in the file" in page.text
    assert "Row 3, Date: there is no month 13. Enter a month from 1 to 12" in page.text
    assert "Row 4, Subject: &quot;neighbour&quot; is not a subject the chronology uses" in page.text
    assert reverse("chronologies:import_new", args=[draft.pk]) in page.text


def test_a_formula_is_refused_in_its_cell(
    draft: Submission, contributor: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx([row(1), row(2)])))
    workbook["Chronology"]["F3"] = '=CONCAT("Contact", " 2")'
    buffer = io.BytesIO()
    workbook.save(buffer)

    upload(contributor, draft, buffer.getvalue(), "chronology.xlsx", django_capture_on_commit_callbacks)

    job = only_job()
    assert job.status == ImportStatus.PROBLEMS
    assert "Row 3, Event: this cell holds a formula. Paste the values instead" in progress(contributor, job).text


def test_the_wrong_template_is_refused_whole(
    draft: Submission, contributor: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    before = snapshot(draft)
    content = csv_bytes([("1/3/2019", "Called")], header=("When", "What"))

    upload(contributor, draft, content, "chronology.csv", django_capture_on_commit_callbacks)

    job = only_job()
    assert job.status == ImportStatus.REFUSED
    assert job.message.startswith("This is not the chronology template")
    assert snapshot(draft) == before
    page = progress(contributor, job)
    assert "The file was not imported" in page.text
    assert "This is not the chronology template" in page.text


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(
    draft: Submission, contributor: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    """Just over the limit it is read and refused; far over, it is refused unread (413)."""
    just_over = b"x" * (MAX_BYTES + 1)
    response = upload(contributor, draft, just_over, "chronology.csv", django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "The selected file must be smaller than 20 MB" in response.text

    far_over = b"x" * (MAX_BYTES + 200_000)
    response = upload(contributor, draft, far_over, "chronology.csv", django_capture_on_commit_callbacks)
    assert response.status_code == 413
    assert "The selected file must be smaller than 20 MB" in response.text
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "chronology.csv", "The selected file is empty"),
        (b"Date,Event\n", "chronology.pdf", "The selected file must be an XLSX or CSV file"),
    ],
)
def test_files_that_cannot_be_a_chronology_are_refused_before_anything_is_held(
    draft: Submission,
    contributor: Client,
    django_capture_on_commit_callbacks: Capture,
    content: bytes,
    name: str,
    message: str,
) -> None:
    response = upload(contributor, draft, content, name, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert message in response.text
    assert not ImportJob.objects.exists()


def test_problems_are_listed_a_page_at_a_time_up_to_the_stored_limit(
    draft: Submission, contributor: Client, django_capture_on_commit_callbacks: Capture, monkeypatch: Any
) -> None:
    monkeypatch.setattr(imports, "MAX_STORED_PROBLEMS", 60)
    content = csv_bytes([row(1, DATE="someday")] * 70)

    upload(contributor, draft, content, "chronology.csv", django_capture_on_commit_callbacks)

    job = only_job()
    assert (job.problem_count, len(job.problems)) == (70, 60)
    first, second = progress(contributor, job), progress(contributor, job, page=2)
    assert "Nothing was imported: 70 problems in the file" in first.text
    assert "The first 60 are listed here" in first.text
    assert first.text.count("<li>Row ") == 50
    assert second.text.count("<li>Row ") == 10
    assert "Row 2, Date:" in first.text
    assert "Row 61, Date:" in second.text


def test_an_unexpected_failure_saves_nothing_and_drops_the_file(
    draft: Submission,
    contributor: Client,
    django_capture_on_commit_callbacks: Capture,
    monkeypatch: Any,
    caplog: Any,
) -> None:
    """The failure strikes after the old entries were deleted and some new ones written: all rolled back."""
    before = snapshot(draft)
    real = services.save_in_batches

    def failing(entries: Iterator[Entry]) -> int:
        real(entries)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "save_in_batches", failing)

    upload(contributor, draft, csv_bytes([row(1), row(2)]), "chronology.csv", django_capture_on_commit_callbacks)

    job = only_job()
    assert (job.status, job.message, job.content_enc) == (ImportStatus.FAILED, imports.FAILED_MESSAGE, "")
    assert snapshot(draft) == before
    assert "disk is full" not in progress(contributor, job).text
    assert "chronology import" in caplog.text


def test_a_failed_import_leaves_the_draft_and_the_submitted_version_untouched(
    chronology_world: ChronologyWorld,
    draft: Submission,
    contributor: Client,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    submitted = services.submit(draft, actor=chronology_world.contributor_a, version=None, request=None)
    second = services.return_submission(
        submitted, actor=chronology_world.coordinator, comments="More detail.", version=None, request=None
    )
    services.add_entry(second, actor=chronology_world.contributor_a, fields=FIELDS, request=None)
    before_first, before_second = snapshot(submitted), snapshot(second)

    upload(
        contributor, second, csv_bytes([row(1), row(2, DATE="")]), "chronology.csv", django_capture_on_commit_callbacks
    )

    assert only_job().status == ImportStatus.PROBLEMS
    assert snapshot(submitted) == before_first
    assert snapshot(second) == before_second


def test_an_import_that_cannot_be_queued_waits_and_the_sweep_queues_it_later(
    draft: Submission,
    contributor: Client,
    django_capture_on_commit_callbacks: Capture,
    monkeypatch: Any,
    caplog: Any,
) -> None:
    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(tasks.run_import, "delay", unreachable)
    before = snapshot(draft)

    response = upload(contributor, draft, csv_bytes([row(1)]), "chronology.csv", django_capture_on_commit_callbacks)

    job = only_job()
    assert (response.status_code, job.status) == (302, ImportStatus.QUEUED)
    assert "Waiting to start" in contributor.get(response["Location"]).content.decode()
    assert snapshot(draft) == before
    assert "could not be queued" in caplog.text

    monkeypatch.undo()
    assert tasks.sweep_imports() == 0
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - tasks.STALE_QUEUED - timedelta(seconds=1))
    assert tasks.sweep_imports() == 1
    job.refresh_from_db()
    assert (job.status, job.entries_saved, job.content_enc) == (ImportStatus.DONE, 1, "")


def test_a_draft_submitted_while_its_file_was_queued_is_not_replaced(
    chronology_world: ChronologyWorld, draft: Submission
) -> None:
    job = queue(chronology_world, draft, 1)
    services.submit(draft, actor=chronology_world.contributor_a, version=None, request=None)
    before = snapshot(draft)

    assert imports.run_import(job.pk) == ImportStatus.REFUSED

    job.refresh_from_db()
    assert (job.message, job.content_enc) == (imports.NOT_A_DRAFT_MESSAGE, "")
    assert snapshot(draft) == before


def test_a_finished_job_is_left_alone(chronology_world: ChronologyWorld, draft: Submission) -> None:
    job = queue(chronology_world, draft, 1, 2)
    assert imports.run_import(job.pk) == ImportStatus.DONE
    services.add_entry(draft, actor=chronology_world.contributor_a, fields=FIELDS, request=None)
    before = snapshot(draft)

    assert imports.run_import(job.pk) == ImportStatus.DONE

    assert snapshot(draft) == before


def test_a_second_delivery_while_the_first_runs_saves_once(
    chronology_world: ChronologyWorld, draft: Submission, security_events: EventLog, monkeypatch: Any
) -> None:
    """A broker may deliver the task again while a worker still runs it: the file is saved once."""
    job = queue(chronology_world, draft, 1, 2)
    real = imports.read_chronology
    deliveries: list[str] = []

    def overlapping(*args: Any, **kwargs: Any) -> Any:
        if not deliveries:
            deliveries.append("first, reading")
            deliveries.append(imports.run_import(job.pk))
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "read_chronology", overlapping)

    assert imports.run_import(job.pk) == ImportStatus.DONE

    assert deliveries == ["first, reading", ImportStatus.DONE]
    assert Entry.objects.filter(submission=draft).count() == 2
    assert security_events.actions().count("chronologies.chronology_imported") == 1
    job.refresh_from_db()
    assert (job.status, job.entries_saved) == (ImportStatus.DONE, 2)


def test_a_frozen_version_and_another_agency_cannot_start_an_import(
    chronology_world: ChronologyWorld, draft: Submission
) -> None:
    content = csv_bytes([row(1)])
    with pytest.raises(PermissionDenied):
        imports.start_import(
            draft, actor=chronology_world.contributor_b, content=content, file_name="c.csv", request=None
        )
    services.submit(draft, actor=chronology_world.contributor_a, version=None, request=None)
    with pytest.raises(ValidationError):
        imports.start_import(
            draft, actor=chronology_world.contributor_a, content=content, file_name="c.csv", request=None
        )
    assert not ImportJob.objects.exists()


# The pages --------------------------------------------------------------------------------------


def test_the_upload_page_explains_the_import_replaces_all_or_nothing(draft: Submission, contributor: Client) -> None:
    page = contributor.get(reverse("chronologies:import_new", args=[draft.pk]))
    assert page.status_code == 200
    assert "replace every entry of version 1" in page.text
    assert "nothing is imported" in page.text
    assert 'enctype="multipart/form-data"' in page.text


def test_the_progress_page_refreshes_itself_until_the_import_finishes(
    chronology_world: ChronologyWorld, draft: Submission, contributor: Client
) -> None:
    job = queue(chronology_world, draft, 1)
    page = progress(contributor, job)
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert "Waiting to start" in page.text
    assert (
        reverse("chronologies:import_progress", args=[job.pk])
        in contributor.get(reverse("chronologies:submission", args=[draft.pk])).text
    )

    imports.run_import(job.pk)

    page = progress(contributor, job)
    assert "http-equiv" not in page.text
    assert "Imported" in page.text


def test_the_upload_checks_the_csrf_token(chronology_world: ChronologyWorld, draft: Submission) -> None:
    signed_in = chronology_world.client(chronology_world.contributor_a)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = signed_in.cookies
    response = strict.post(
        reverse("chronologies:import_new", args=[draft.pk]),
        {"file": SimpleUploadedFile("c.csv", csv_bytes([row(1)]))},
    )
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_only_the_agency_sees_its_imports(
    chronology_world: ChronologyWorld, draft: Submission, verified_client: Callable[..., Client]
) -> None:
    job = queue(chronology_world, draft, 1)
    personas = chronology_world.reviews.personas
    for user in (
        chronology_world.contributor_b,
        chronology_world.coordinator,
        chronology_world.panel_member,
        personas.auditor,
        personas.outsider,
    ):
        client = verified_client(user)
        assert progress(client, job).status_code == 404
        assert client.get(reverse("chronologies:import_new", args=[draft.pk])).status_code == 404
        assert (
            client.post(
                reverse("chronologies:import_new", args=[draft.pk]),
                {"file": SimpleUploadedFile("c.csv", csv_bytes([row(1)]))},
            ).status_code
            == 404
        )
    assert ImportJob.objects.count() == 1


def test_the_agency_cannot_import_into_a_submitted_version(
    chronology_world: ChronologyWorld,
    draft: Submission,
    contributor: Client,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    services.submit(draft, actor=chronology_world.contributor_a, version=None, request=None)
    before = snapshot(draft)
    assert contributor.get(reverse("chronologies:import_new", args=[draft.pk])).status_code == 403
    response = upload(contributor, draft, csv_bytes([row(1)]), "c.csv", django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert snapshot(draft) == before
    assert Submission.objects.get(pk=draft.pk).status == SubmissionStatus.SUBMITTED

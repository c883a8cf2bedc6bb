"""Importing a chronology file into the agency's draft: checked whole, then saved all or nothing.

``start_import`` holds the uploaded file encrypted on an ``ImportJob`` and queues
``tasks.run_import`` once its transaction commits (if the queue is down, the job waits and
``tasks.sweep_imports`` queues it again later); ``run_import`` reads the file with
``importing.read_chronology``, recording its progress for the page, and then either stores every
problem found, records why the file was refused, or replaces the draft's entries with the file's
in one transaction. However the job ends, the held file is emptied with the job's final status.

All or nothing: nothing is written to the draft until the whole file has been read without a
problem, and then the old entries are deleted and the new ones inserted in the same transaction
that re-checks, on the locked rows, that the version is still a draft the uploader may change.
A job that fails for any reason leaves the draft, and every earlier version, as it was.

Redelivery (``acks_late``) and retries may run a job more than once: a finished job is left
alone, and the save re-reads the job's status under its lock, so a file is saved at most once.
"""

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies.importing import EntryRow, ImportResult, read_chronology
from dhr_tracker.chronologies.models import IMPORT_FINISHED, Entry, ImportJob, ImportStatus, Submission
from dhr_tracker.chronologies.services import submissions
from dhr_tracker.chronologies.spreadsheets import MAX_BYTES, ImportRefused, format_size
from dhr_tracker.reviews.services import record_change

logger = logging.getLogger(__name__)

# The problems kept for the page: enough to fix a file in a few passes, few enough to store.
MAX_STORED_PROBLEMS = 1_000
MAX_STORED_DUPLICATES = 1_000
FAILED_MESSAGE = (
    "Something went wrong while importing the file, so nothing was imported and your draft is as it was. "
    "Try again; if it happens again, tell the review's coordinator"
)
NOT_A_DRAFT_MESSAGE = (
    "Nothing was imported: while the file was being checked this version was submitted, or you can no longer "
    "change it. Open the chronology to see its current version"
)
EXTENSIONS = (".xlsx", ".csv")
NAME_LIMIT = 200


def check_upload(content: bytes, file_name: str) -> None:
    """Refuse, naming the file field, an upload that cannot be a chronology before anything is held."""
    if PurePath(file_name).suffix.lower() not in EXTENSIONS:
        raise ValidationError(
            {"file": "The selected file must be an XLSX or CSV file. Save it as Excel Workbook (.xlsx) or CSV UTF-8"}
        )
    if len(content) > MAX_BYTES:
        raise ValidationError(
            {"file": f"The selected file must be smaller than {format_size(MAX_BYTES)}. Split it into smaller files"}
        )
    if not content:
        raise ValidationError({"file": "The selected file is empty"})


def _short_name(file_name: str) -> str:
    """The file's name as stored: no folders, and cut from the front so the extension stays."""
    return PurePath(file_name.replace("\\", "/")).name[-NAME_LIMIT:]


def start_import(
    submission: Submission, *, actor: Any, content: bytes, file_name: str, request: HttpRequest | None
) -> ImportJob:
    """Hold the uploaded file encrypted and queue its import into the draft; return the job to follow."""
    check_upload(content, file_name)
    with transaction.atomic():
        current = submissions.locked_draft(submission, actor=actor, bump=False)
        job = ImportJob(
            submission=current,
            file_name=_short_name(file_name),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            created_by=actor,
        )
        job.hold(content)
        job.save()
        # The target is the draft: the job's own label would carry the file's name, which may name someone.
        record_change(
            "chronologies.import_started",
            actor=actor,
            review=current.request.review,
            target=current,
            request=request,
            job=str(job.pk),
            size=job.size,
        )
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id), robust=True)
    return job


def _enqueue(job_id: uuid.UUID) -> None:
    """Queue the job's task; if the queue cannot take it, the job waits for ``tasks.sweep_imports``."""
    # Imported here: the tasks import this module.
    from dhr_tracker.chronologies.tasks import run_import

    try:
        run_import.delay(str(job_id))
    except Exception:  # the broker's client raises many kinds of error when the queue is unreachable
        # The file is held, encrypted, on the job: the sweep queues it again once the queue is back,
        # and meanwhile its page says it is waiting to start.
        logger.exception("chronology import %s could not be queued; it waits for the sweep", job_id)


def _unfinished(job_id: uuid.UUID) -> QuerySet[ImportJob]:
    """The job while it has not finished: a second delivery running late never overwrites how it ended."""
    return ImportJob.objects.filter(pk=job_id).exclude(status__in=IMPORT_FINISHED)


def _finish(job_id: uuid.UUID, status: str, **fields: Any) -> None:
    """Record how the job ended, emptying the held file in the same write."""
    _unfinished(job_id).update(status=status, content_enc="", finished_at=timezone.now(), **fields)


def _claim(job_id: uuid.UUID) -> ImportJob | None:
    """The job, marked as being read; ``None`` if it has finished (a retry or redelivery of a done job)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return None
        job.status = ImportStatus.READING
        job.rows_read = 0
        job.save(update_fields=["status", "rows_read"])
    return job


def run_import(job_id: uuid.UUID, *, last_try: bool = True) -> str:
    """Read the job's file and save it into the draft, or record why not; return the job's final status.

    A database error is raised again for the task to retry (the job stays unfinished, so the
    retry starts it over), except on the ``last_try``, when the job is marked failed.
    Any other unexpected error marks the job failed with a general message and is logged.
    """
    job = _claim(job_id)
    if job is None:
        return ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""
    try:
        return _run(job)
    except Exception as error:
        if not last_try and isinstance(error, OperationalError):
            raise
        logger.exception("chronology import %s failed", job_id)
        _finish(job_id, ImportStatus.FAILED, message=FAILED_MESSAGE)
        return ImportStatus.FAILED


def _progress(job_id: uuid.UUID) -> Callable[[int], None]:
    def report(rows: int) -> None:
        _unfinished(job_id).update(rows_read=rows)

    return report


def _run(job: ImportJob) -> str:
    try:
        result = read_chronology(
            job.held(),
            name=job.file_name,
            risk_indicators=settings.CHRONOLOGY_RISK_INDICATORS,
            progress=_progress(job.pk),
        )
    except ImportRefused as refused:
        _finish(job.pk, ImportStatus.REFUSED, message=refused.message)
        return ImportStatus.REFUSED
    duplicates = [list(duplicate.rows) for duplicate in result.duplicates[:MAX_STORED_DUPLICATES]]
    if not result.ok:
        _finish(
            job.pk,
            ImportStatus.PROBLEMS,
            rows_read=result.rows_checked,
            problems=[
                {"row": problem.row, "column": problem.column, "message": problem.message}
                for problem in result.problems[:MAX_STORED_PROBLEMS]
            ],
            problem_count=len(result.problems),
            duplicates=duplicates,
        )
        return ImportStatus.PROBLEMS
    _unfinished(job.pk).update(status=ImportStatus.SAVING, rows_read=result.rows_checked)
    return _save(job, result, duplicates)


def _entries(draft: Submission, rows: tuple[EntryRow, ...]) -> Iterator[Entry]:
    for position, row in enumerate(rows, start=1):
        checked = submissions.CheckedEntry(
            on=row.date,
            at=row.time,
            subject=row.subject.value,
            source_record=row.source_record,
            practitioner_role=row.practitioner_role,
            event=row.event,
            action_or_outcome=row.action_or_outcome,
            risks=Entry.stored_risks(row.risk_indicators),
        )
        yield submissions.new_entry(draft, position, checked)


def _clear(draft: Submission) -> int:
    """Delete the draft's entries in one statement; return how many.

    The ORM's delete would first fetch every entry to look for panel notes, which protect what
    they note (three seconds for 50,000 entries). Notes are only ever on accepted entries, never
    a draft's, and the database's foreign key refuses the delete should one exist.
    """
    table = connection.ops.quote_name(Entry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE submission_id = %s", [draft.pk])  # noqa: S608
        return cursor.rowcount


def _save(job: ImportJob, result: ImportResult, duplicates: list[list[int]]) -> str:
    """Replace the draft's entries with the file's, in one transaction, if it is still the uploader's draft."""
    actor = job.created_by
    with transaction.atomic():
        row = ImportJob.objects.select_for_update().get(pk=job.pk)
        if row.finished:
            return row.status
        try:
            draft = submissions.locked_draft(job.submission, actor=actor)
        except (PermissionDenied, ValidationError):
            draft = None
        if draft is None:
            _finish(job.pk, ImportStatus.REFUSED, message=NOT_A_DRAFT_MESSAGE, duplicates=duplicates)
            return ImportStatus.REFUSED
        replaced = _clear(draft)
        saved = submissions.save_in_batches(_entries(draft, result.entries))
        draft.imported_file = job.file_name
        draft.imported_sha256 = job.sha256
        draft.save(update_fields=["imported_file", "imported_sha256"])
        record_change(
            "chronologies.chronology_imported",
            actor=actor,
            review=draft.request.review,
            target=draft,
            request=None,
            job=str(job.pk),
            entries=saved,
            replaced=replaced,
            duplicates=len(result.duplicates),
        )
        _finish(job.pk, ImportStatus.DONE, entries_saved=saved, duplicates=duplicates)
    return ImportStatus.DONE

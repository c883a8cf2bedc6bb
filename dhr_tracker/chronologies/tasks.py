"""Background work of the chronologies: importing an uploaded chronology file into a draft.

``run_import`` is idempotent: a finished job is left alone, and a job is saved at most once
(``services.imports``), so a retry or a redelivery after a worker dies (``acks_late``) does no harm,
and neither does ``sweep_imports`` (beat) queueing again a job whose message never reached the queue.
"""

import uuid
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from dhr_tracker.chronologies.models import ImportJob, ImportStatus
from dhr_tracker.chronologies.services import imports

# A job still waiting to start this long after its upload lost its message: the queue was down
# when it was sent, or restarted without it. A queue merely busy for longer costs a second message,
# which finds the job finished (or at worst reads the file again): the file is saved once.
STALE_QUEUED = timedelta(minutes=10)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def run_import(self: Any, job_id: str) -> str:
    """Import the job's file into its draft, or record why not; return the job's final status."""
    return imports.run_import(uuid.UUID(job_id), last_try=self.request.retries >= self.max_retries)


@shared_task(acks_late=True)
def sweep_imports() -> int:
    """Queue again the imports still waiting to start long after their upload; return how many."""
    waiting = ImportJob.objects.filter(status=ImportStatus.QUEUED, created_at__lt=timezone.now() - STALE_QUEUED)
    stale = list(waiting.values_list("pk", flat=True))
    for job_id in stale:
        run_import.delay(str(job_id))
    return len(stale)

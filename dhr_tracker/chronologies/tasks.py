"""Background work of the chronologies: importing an uploaded chronology file into a draft.

``run_import`` is idempotent: a finished job is left alone, and a job is saved at most once
(``services.imports``), so a retry or a redelivery after a worker dies (``acks_late``) does no harm.
"""

import uuid
from typing import Any

from celery import shared_task
from django.db import OperationalError

from dhr_tracker.chronologies.services import imports


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

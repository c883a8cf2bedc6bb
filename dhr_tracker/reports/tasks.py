"""Background work of the reports, run by Celery beat: taking publications down when their period ends.

Idempotent: ``unpublish_due`` takes each publication down once, under a row lock, and skips any
already down, so a retry, a redelivery (``acks_late``) or a second worker changes nothing twice.
"""

from celery import shared_task
from django.db import OperationalError

from dhr_tracker.reports.services import publication


@shared_task(
    acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=600, max_retries=5
)
def unpublish_due() -> int:
    """Take down the publications whose partnership's publication period has ended; return how many."""
    return publication.unpublish_due()

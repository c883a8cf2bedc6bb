"""Background work of the reviews, run by Celery beat: deadline reminders (daily) and the weekly digest.

Both are idempotent (``reviews.reminders`` sends each e-mail once, keyed in ``ReminderSent``), so a
retry, a redelivery after a worker dies (``acks_late``) or a second worker sends nothing twice.
"""

from celery import shared_task
from django.db import OperationalError

from dhr_tracker.reviews import reminders

# A database hiccup or an e-mail that could not be sent: run again soon; what was sent stays sent.
_RETRY_ON = (OperationalError, reminders.DeliveryFailed)


@shared_task(acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True, retry_backoff_max=600, max_retries=5)
def send_reminders() -> int:
    """E-mail the reminders due today; return how many were sent."""
    return reminders.send_reminders()


@shared_task(acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True, retry_backoff_max=600, max_retries=5)
def send_digests() -> int:
    """E-mail this week's digest to each coordinator who has not had it; return how many were sent."""
    return reminders.send_digests()

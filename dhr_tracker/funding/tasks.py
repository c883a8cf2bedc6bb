"""Background work of funding, run by Celery beat: reminders of the closing dates of open streams (daily).

Idempotent (``funding.reminders`` sends each e-mail once, keyed in ``ReminderSent``), so a retry, a
redelivery after a worker dies (``acks_late``) or a second worker sends nothing twice.
"""

from celery import shared_task
from django.db import OperationalError

from dhr_tracker.funding import reminders
from dhr_tracker.reviews.reminders import DeliveryFailed

# A database hiccup or an e-mail that could not be sent: run again soon; what was sent stays sent.
_RETRY_ON = (OperationalError, DeliveryFailed)


@shared_task(acks_late=True, autoretry_for=_RETRY_ON, retry_backoff=True, retry_backoff_max=600, max_retries=5)
def send_stream_reminders() -> int:
    """E-mail the reminders of open streams' closing dates due today; return how many were sent."""
    return reminders.send_stream_reminders()

"""Beat catches up what a Redis outage made it drop, within the hour.

Beat cannot publish while Redis is down: ``celery.beat.Scheduler.apply_entry`` logs the error, and
the entry has already been moved to its next time, so that run is lost. The reminder tasks send each
e-mail once, whenever they run (``reviews.reminders``, keyed in ``ReminderSent``), so beat runs them
hourly through the working day: a run lost at seven is made good at eight. Work left waiting in the
database is queued again by the sweeps. ``test_redis_down.py`` shows the tasks catching up.
"""

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from celery.schedules import crontab
from django.conf import settings

from dhr_tracker.chronologies.tasks import STALE_QUEUED


@pytest.mark.parametrize("entry", ["reviews-send-reminders", "reviews-weekly-digest", "funding-stream-reminders"])
def test_beat_runs_each_reminder_task_again_within_the_hour_so_a_run_lost_to_an_outage_is_caught_up(
    entry: str,
) -> None:
    schedule = cast(crontab, settings.CELERY_BEAT_SCHEDULE[entry]["schedule"])
    monday = datetime(2026, 1, 5, tzinfo=UTC)
    first = monday + schedule.remaining_delta(monday)[1]
    following = first + schedule.remaining_delta(first)[1]

    assert following - first <= timedelta(hours=1)


def test_beat_sweeps_imports_that_never_reached_the_queue() -> None:
    every = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert cast(float, every["dhr_tracker.chronologies.tasks.sweep_imports"]) <= STALE_QUEUED.total_seconds()

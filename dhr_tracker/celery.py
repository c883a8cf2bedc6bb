"""The Celery application: eager in the embedded default, Redis-backed in production."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dhr_tracker.settings")

app = Celery("dhr_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

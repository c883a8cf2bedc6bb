"""The DHR tracker: the Django project and the Domestic Homicide Review domain."""

from dhr_tracker.celery import app as celery_app

__all__ = ("celery_app",)

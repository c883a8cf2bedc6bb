"""Chronology pages, one module of views per feature; each module lists its own URL patterns."""

from dhr_tracker.chronologies.views import combined, imports, imr, requests, submissions

app_name = "chronologies"

urlpatterns = [
    *requests.urlpatterns,
    *submissions.urlpatterns,
    *imports.urlpatterns,
    *imr.urlpatterns,
    *combined.urlpatterns,
]

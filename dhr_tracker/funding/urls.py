"""Funding pages, one module of views per feature; each module lists its own URL patterns."""

from dhr_tracker.funding.views import applications, exports, ledger, streams

app_name = "funding"

urlpatterns = [
    *streams.urlpatterns,
    *applications.urlpatterns,
    *ledger.urlpatterns,
    *exports.urlpatterns,
]

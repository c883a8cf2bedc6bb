"""Report pages, one module of views per feature; each module lists its own URL patterns."""

from dhr_tracker.reports.views import actions, anonymisation, drafts, learning, publication, qa

app_name = "reports"

urlpatterns = [
    *drafts.urlpatterns,
    *actions.urlpatterns,
    *qa.urlpatterns,
    *anonymisation.urlpatterns,
    *publication.urlpatterns,
    *learning.urlpatterns,
]

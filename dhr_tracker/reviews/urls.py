"""Review pages, one module of views per feature; each module lists its own URL patterns."""

from dhr_tracker.reviews.views import dashboard, family, meetings, notifications, panel, steps, terms

app_name = "reviews"

urlpatterns = [
    *dashboard.urlpatterns,
    *notifications.urlpatterns,
    *steps.urlpatterns,
    *panel.urlpatterns,
    *terms.urlpatterns,
    *family.urlpatterns,
    *meetings.urlpatterns,
]

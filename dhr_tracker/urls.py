from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path

from dhr_tracker import views
from dhr_tracker.accounts import views as account_views


def _admin_sign_in(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The admin has no sign-in of its own: everyone signs in with a second factor.

    The middleware has already required a verified second factor to get here, so a signed-in
    user who reaches this page is simply not a site administrator.
    """
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect("accounts:sign_in")


def _admin_password_change(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    return redirect("accounts:change_password")


def _admin_log_out(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    return account_views.sign_out(request)


# The admin's own sign-in, password change and sign-out would skip the second factor and the
# security events; ours are used instead.
admin.site.login = _admin_sign_in  # type: ignore[method-assign]
admin.site.password_change = _admin_password_change  # type: ignore[method-assign,assignment]
admin.site.logout = _admin_log_out  # type: ignore[method-assign,assignment]
admin.site.site_header = "DHR tracker administration"
admin.site.site_title = "DHR tracker administration"

handler400 = "dhr_tracker.views.bad_request"
handler403 = "dhr_tracker.views.forbidden"
handler404 = "dhr_tracker.views.not_found"
handler500 = "dhr_tracker.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("", include("dhr_tracker.accounts.urls")),
    path("audit/", include("audit.urls")),
    path("sharing/", include("sharing.urls")),
    path("reviews/", include("dhr_tracker.reviews.urls")),
    path("", include("dhr_tracker.chronologies.urls")),
    path("", include("dhr_tracker.reports.urls")),
    path("funding/", include("dhr_tracker.funding.urls")),
    path("admin/", admin.site.urls),
]

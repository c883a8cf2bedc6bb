"""Pages that belong to no single app: the dashboard, the health check and error pages."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from dhr_tracker.accounts.access import can_manage_users, partnership_roles
from dhr_tracker.accounts.audit_integration import is_auditor
from dhr_tracker.accounts.models import AgencyMembership, Partnership
from dhr_tracker.accounts.rules import SignedInRequest, public, verified
from dhr_tracker.funding import access as funding_access
from dhr_tracker.funding.services.streams import open_deadlines
from dhr_tracker.reports import access as report_access
from dhr_tracker.reports.models import Action
from dhr_tracker.reviews.access import managed_partnerships


@verified()
def home(request: SignedInRequest) -> HttpResponse:
    """Show each user what their roles let them do."""
    memberships = AgencyMembership.objects.filter(user=request.user, ended_at__isnull=True).select_related("agency")
    managed = list(Partnership.objects.filter(pk__in=managed_partnerships(request.user)))
    return render(
        request,
        "home.html",
        {
            "roles": partnership_roles(request.user),
            "memberships": memberships,
            "can_manage_users": can_manage_users(request.user),
            "is_auditor": is_auditor(request.user),
            "owns_actions": Action.objects.filter(owner=request.user).exists(),
            "learning_partnerships": managed,
            "national_oversight": report_access.can_see_national_learning(request.user),
            "funding_partnerships": managed,
            "funding_deadlines": open_deadlines(managed, timezone.localdate()),
            "funding_admin": funding_access.is_site_admin(request.user),
        },
    )


@public
def health(request: HttpRequest) -> HttpResponse:
    """Report whether the app can reach its database; for load balancers and monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)

"""Downloads of applications and ledgers as XLSX or CSV (``funding.exports``), each audited there.

Access first, with the fetchers of ``funding.access``: a 404 for anyone who may not see what
is asked for, and for a format other than "xlsx" or "csv". A filter that cannot be read (a year
not like 2025-26, an unknown status, a partnership that is not a number) is a 400; a partnership
the user does not manage is a 404.
"""

from django.core.exceptions import BadRequest
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils import timezone

from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.downloads import SPREADSHEETS, Format, attachment
from dhr_tracker.funding import access, exports
from dhr_tracker.funding.models import ApplicationStatus
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews.access import managed_partnerships


def _format(fmt: str) -> Format:
    if fmt not in SPREADSHEETS:
        raise Http404
    return SPREADSHEETS[fmt]


def _year(request: SignedInRequest) -> FinancialYear | None:
    """The financial year of ``?year=``, if given."""
    label = request.GET.get("year", "")
    if not label:
        return None
    try:
        return FinancialYear.parse(label)
    except ValueError:
        raise BadRequest("Enter a financial year like 2025-26") from None


def _selection(request: SignedInRequest, managed: set[int]) -> exports.Selection:
    """What ``?partnership=``, ``?year=`` and ``?status=`` select among the applications of ``managed``."""
    try:
        chosen = {int(value) for value in request.GET.getlist("partnership")}
    except ValueError:
        raise BadRequest("Choose a partnership") from None
    if not chosen <= managed:
        raise Http404
    status = request.GET.get("status", "")
    if status and status not in ApplicationStatus.values:
        raise BadRequest("Choose a status")
    return exports.Selection(frozenset(chosen or managed), _year(request), status)


@verified()
def applications_export(request: SignedInRequest, fmt: str) -> HttpResponse:
    """The applications of the partnerships the user manages, one row each, audited."""
    managed = managed_partnerships(request.user)
    if not managed:
        raise Http404
    kind = _format(fmt)
    selection = _selection(request, managed)
    made = exports.export_applications(request.user, selection, fmt=fmt, request=request)
    day = timezone.localdate().isoformat()
    return attachment(made.content, content_type=kind.content_type, file_name=f"applications-{day}.{kind.extension}")


@verified()
def application_export(request: SignedInRequest, application_id: int, fmt: str) -> HttpResponse:
    """One application as a funder's form (XLSX) or its cost breakdown (CSV), audited."""
    application = access.access_application(request.user, application_id)
    kind = _format(fmt)
    made = exports.export_application(application, actor=request.user, fmt=fmt, request=request)
    name = f"application-{application.pk}.{kind.extension}"
    return attachment(made.content, content_type=kind.content_type, file_name=name)


@verified()
def ledger_export(request: SignedInRequest, review_id: int, fmt: str) -> HttpResponse:
    """A review's ledger with its summary (XLSX) or as a journal (CSV), audited."""
    review = access.access_ledger(request.user, review_id)
    kind = _format(fmt)
    made = exports.export_ledger(review, actor=request.user, fmt=fmt, request=request)
    name = f"{review.reference}-ledger.{kind.extension}"
    return attachment(made.content, content_type=kind.content_type, file_name=name)


@verified()
def partnership_ledger_export(request: SignedInRequest, partnership_id: int, fmt: str) -> HttpResponse:
    """A partnership's costs and contributions in ``?year=`` (the current year by default), audited."""
    partnership = access.access_partnership(request.user, partnership_id)
    kind = _format(fmt)
    year = _year(request) or FinancialYear.of(timezone.localdate())
    made = exports.export_year(partnership, year, actor=request.user, fmt=fmt, request=request)
    name = f"{partnership.slug}-{year.label}-costs.{kind.extension}"
    return attachment(made.content, content_type=kind.content_type, file_name=name)


urlpatterns = [
    path("applications/export.<str:fmt>", applications_export, name="applications_export"),
    path("applications/<int:application_id>/export.<str:fmt>", application_export, name="application_export"),
    path("reviews/<int:review_id>/ledger/export.<str:fmt>", ledger_export, name="ledger_export"),
    path(
        "partnerships/<int:partnership_id>/ledger/export.<str:fmt>",
        partnership_ledger_export,
        name="partnership_ledger_export",
    ),
]

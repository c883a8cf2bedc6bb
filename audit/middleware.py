"""Request ids for the trail, and a record of every access the access layer refuses."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from audit.models import Outcome
from audit.trail import new_request_id, record


class AuditMiddleware:
    """Give each request an id (echoed as X-Request-ID) and record every refusal.

    Views and access fetchers refuse by raising ``PermissionDenied`` (403) or ``Http404`` (the
    404 that hides whether something exists), or by rendering a page that says why with status
    403. By the time either reaches here every transaction of the view has rolled back, so the
    refusal is recorded in its own, once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = new_request_id()  # type: ignore[attr-defined]
        response = self.get_response(request)
        if response.status_code == 403 and not getattr(request, "refusal_recorded", False):
            self._record_refusal(request, 403)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied | Http404):
            self._record_refusal(request, 403 if isinstance(exception, PermissionDenied) else 404)

    @staticmethod
    def _record_refusal(request: HttpRequest, status: int) -> None:
        record(
            "access.denied",
            outcome=Outcome.DENIED,
            actor=getattr(request, "user", None),
            request=request,
            details={"path": request.path[:500], "method": request.method or "", "status": status},
        )
        request.refusal_recorded = True  # type: ignore[attr-defined]

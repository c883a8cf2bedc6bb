"""A database outage answers "Sorry, the service is unavailable" (503), never a 500 or a hang.

While PostgreSQL restarts, fails over or refuses connections, every query raises Django's
``OperationalError`` (or ``InterfaceError`` on a connection closed under it). Such a request
cannot succeed, but it can fail cleanly: a GOV.UK service-unavailable page with ``Retry-After``,
so that people, load balancers and monitors try again rather than report a fault. Once the
database is back, the next request reconnects (``CONN_HEALTH_CHECKS`` drops a persistent
connection that died with the old server before using it).

The middleware sits outside the session middleware, whose save after the view is itself a query,
and inside the middleware that set security headers, so the page carries the same headers as every
other. The page is rendered without the request: the context processors look up the signed-in
user, which needs the database.

An error reaches the middleware three ways: from the view (``process_exception``, before Django's
500 handling); raised out of another middleware, when Django's 500 page, which needs the database
for the signed-in user's menu, fails in turn (``__call__``); or as a 500 page that Django's handler
rendered after all (an anonymous visitor's), which ``got_request_exception`` marked on the request.
"""

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# The errors of a database that cannot answer now (down, restarting, a connection lost, a lock or
# statement timeout); an error in a query itself (ProgrammingError, IntegrityError) is a fault.
OUTAGES = (OperationalError, InterfaceError)
# A restart or fail-over takes seconds; half a minute keeps retrying clients from piling on.
RETRY_AFTER_SECONDS = 30
_MARK = "database_unavailable"


def _mark_outage(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Note on the request that Django's 500 handling was for a database outage."""
    # Sent from inside Django's ``except`` block, so the exception is the one being handled.
    if request is not None and isinstance(sys.exc_info()[1], OUTAGES):
        setattr(request, _MARK, True)


class DatabaseUnavailableMiddleware:
    """Answer a request that failed because the database is unavailable with a 503 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_mark_outage, dispatch_uid=__name__)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except OUTAGES as error:
            return unavailable(request, error)
        if getattr(request, _MARK, False):
            return unavailable(request, None)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OUTAGES):
            return unavailable(request, exception)
        return None


def unavailable(request: HttpRequest, error: Exception | None) -> HttpResponse:
    """Log the outage and return the service-unavailable page, rendered without the database."""
    match = request.resolver_match
    # The view's name, not the path: a password-reset link carries its token in the path.
    logger.warning(
        "database unavailable: %s %s answered 503: %s",
        request.method,
        match.view_name if match is not None else "(unresolved)",
        error if error is not None else "see the error logged above",
    )
    page = render_to_string("errors/503.html", {"service_name": settings.SITE_NAME})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response

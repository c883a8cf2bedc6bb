"""The access rule every view declares, and the decorators that declare it.

``RequireSecondFactorMiddleware`` enforces the rule before any view runs; a view with no rule
is treated as ``VERIFIED`` (deny by default), and ``tests/accounts/test_url_rules.py`` fails on
any view of ours that declares none.

- ``PUBLIC``: anyone, signed in or not (sign-in, password reset, health check, public pages).
- ``PASSWORD_ONLY``: signed in with a password, second factor not yet given (entering a code,
  enrolling an authenticator, signing out).
- ``VERIFIED``: signed in with a verified second factor, and optionally a predicate on the user.
"""

import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from dhr_tracker.accounts.models import User

PUBLIC = "public"
PASSWORD_ONLY = "password_only"  # noqa: S105 (a rule name, not a password)
VERIFIED = "verified"

SUDO_SESSION_KEY = "dhr_sudo_at"

View = Callable[..., HttpResponse]


class SignedInRequest(HttpRequest):
    """A request that has passed a PASSWORD_ONLY or VERIFIED rule: its user is a real user."""

    user: User


def public(view: View) -> View:
    """Let anyone reach ``view``."""
    view.access_rule = PUBLIC  # type: ignore[attr-defined]
    return view


def password_only(view: View) -> View:
    """Let a user who has given a password but not yet a second factor reach ``view``."""
    view.access_rule = PASSWORD_ONLY  # type: ignore[attr-defined]
    return view


def verified(predicate: Callable[[Any], bool] | None = None) -> Callable[[View], View]:
    """Require a verified second factor and, if given, ``predicate(request.user)``."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # The refusal is recorded by audit.middleware.AuditMiddleware.
            if predicate is not None and not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.access_rule = VERIFIED  # type: ignore[attr-defined]
        return wrapper

    return decorate


def mark_sudo(request: HttpRequest) -> None:
    """Record that the user has just proved their second factor."""
    request.session[SUDO_SESSION_KEY] = time.time()


def in_sudo_mode(request: HttpRequest) -> bool:
    proved_at = request.session.get(SUDO_SESSION_KEY)
    return isinstance(proved_at, float) and time.time() - proved_at < settings.SUDO_MODE_MINUTES * 60


def sudo_required(view: View) -> View:
    """Require a second-factor code given within the last ``SUDO_MODE_MINUTES``.

    For the dangerous: changing roles, removing second factors, sharing outside a review,
    exporting the audit trail, shredding. A stolen session alone cannot do these.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if in_sudo_mode(request):
            return view(request, *args, **kwargs)
        # After a POST the form is lost anyway; come back to the page that shows it.
        return redirect(f"{reverse('accounts:sudo')}?{urlencode({'next': request.path})}")

    return wrapper

"""Middleware that enforces second-factor sign-in, notices expired sessions and adds headers."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware import csrf
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django_otp import user_has_device

from dhr_tracker.accounts import events
from dhr_tracker.accounts.rules import PASSWORD_ONLY, PUBLIC, VERIFIED

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


class SessionExpiryMiddleware:
    """Notice a request that carries a session cookie whose session has ended.

    Such a request is marked ``session_expired`` so that the sign-in page can say why the user
    is being asked to sign in again, and an event is emitted.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.session_expired = False  # type: ignore[attr-defined]
        had_session = settings.SESSION_COOKIE_NAME in request.COOKIES
        if had_session and not request.user.is_authenticated and request.session.session_key is None:
            request.session_expired = True  # type: ignore[attr-defined]
            events.emit("auth.session_expired", outcome=events.DENIED, request=request)
        return self.get_response(request)


class RequireSecondFactorMiddleware:
    """Deny by default: every view needs a verified second factor unless it says otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        rule = getattr(view_func, "access_rule", VERIFIED)
        if rule == PUBLIC:
            return None
        user = request.user
        if not user.is_authenticated:
            query = {"next": request.get_full_path()}
            if getattr(request, "session_expired", False):
                query["expired"] = "1"
            return redirect(f"{reverse('accounts:sign_in')}?{urlencode(query)}")
        if rule == PASSWORD_ONLY or user.is_verified():
            return None
        target = "accounts:verify" if user_has_device(user) else "accounts:enrol"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


class SecurityHeadersMiddleware:
    """Headers Django does not set itself: no caching of pages, and a closed Permissions-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Pages may show personal data of the people in a review: never let a browser or a
        # shared proxy keep a copy.
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class CsrfViewMiddleware(csrf.CsrfViewMiddleware):
    """Django's CSRF protection, reconciled with ``Referrer-Policy: no-referrer``.

    Under that policy browsers send ``Origin: null`` with every form POST, even to the same
    site, and no Referer at all, so Django's origin check would refuse every form. A browser
    also sends ``Sec-Fetch-Site``, which page scripts cannot set: when it says the request came
    from this same origin, a null Origin is accepted. The CSRF token is still required, and a
    cross-site form still fails (its Sec-Fetch-Site is ``cross-site``).
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        return bool(super()._origin_verified(request))  # type: ignore[misc]  # private in the stubs

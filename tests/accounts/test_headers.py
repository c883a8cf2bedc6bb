"""Each security header, asserted one by one, on public and signed-in pages."""

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

EXPECTED_CSP = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "manifest-src": "'self'",
}


def csp_directives(header: str) -> dict[str, str]:
    pairs = (part.strip().partition(" ") for part in header.split(";") if part.strip())
    return {name: value for name, _, value in pairs}


@pytest.fixture
def signed_in_page(personas: Any, verified_client: Any) -> Any:
    return verified_client(personas.csp_chair).get("/account/", secure=True)


def test_csp_is_enforced_and_strict(signed_in_page: Any) -> None:
    assert "Content-Security-Policy-Report-Only" not in signed_in_page.headers
    assert csp_directives(signed_in_page["Content-Security-Policy"]) == EXPECTED_CSP
    assert "unsafe" not in signed_in_page["Content-Security-Policy"]


def test_csp_is_on_public_pages_too(db: None) -> None:
    assert csp_directives(Client().get("/sign-in/")["Content-Security-Policy"]) == EXPECTED_CSP


def test_hsts_over_https(signed_in_page: Any) -> None:
    assert signed_in_page["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"


def test_referrer_policy(signed_in_page: Any) -> None:
    assert signed_in_page["Referrer-Policy"] == "no-referrer"


def test_no_store_on_signed_in_pages(signed_in_page: Any) -> None:
    directives = {d.strip() for d in signed_in_page["Cache-Control"].split(",")}
    assert {"no-store", "private", "no-cache"} <= directives


def test_framing_and_sniffing_refused(signed_in_page: Any) -> None:
    assert signed_in_page["X-Frame-Options"] == "DENY"
    assert signed_in_page["X-Content-Type-Options"] == "nosniff"
    assert signed_in_page["Cross-Origin-Opener-Policy"] == "same-origin"


def test_permissions_policy_closes_device_features(signed_in_page: Any) -> None:
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in signed_in_page["Permissions-Policy"]


def test_cookies_are_strict_samesite_and_http_only(personas: Any) -> None:
    client = Client()
    client.get("/sign-in/")
    client.post("/sign-in/", {"email": personas.csp_chair.email, "password": "a-long-test-passphrase-41"})
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    csrf_cookie = client.cookies[settings.CSRF_COOKIE_NAME]
    for cookie in (session_cookie, csrf_cookie):
        assert cookie["samesite"] == "Strict"
        assert cookie["httponly"] is True


def test_templates_hold_no_inline_script_style_or_handlers() -> None:
    """CSP forbids them; catching them here is cheaper than in a browser."""
    offenders = []
    for path in (settings.BASE_DIR / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=|\son[a-z]+=", text):
            offenders.append(path.name)
    assert offenders == []

"""Walk every URL pattern: each view declares an access rule, and none leaks without one.

Adding a public or password-only view means adding it to the explicit lists below, on purpose.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from dhr_tracker.accounts.models import PartnershipRoleKind
from dhr_tracker.accounts.rules import PASSWORD_ONLY, PUBLIC, VERIFIED
from tests.conftest import enrol_device
from tests.factories import PartnershipRoleFactory, UserFactory

PUBLIC_VIEWS = {
    "health",
    "accounts:sign_in",
    "accounts:password_reset",
    "accounts:password_reset_confirm",
    "reports:public_list",
    "reports:public_partnership",
    "reports:public_review",
    "reports:public_file",
}
PASSWORD_ONLY_VIEWS = {"accounts:verify", "accounts:enrol", "accounts:sign_out"}


def walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}", entry.callback


def concrete(route: str) -> str:
    """Turn a route pattern into a URL that resolves, with placeholder values."""
    url = re.sub(r"<int:\w+>", "1", route)
    url = re.sub(r"<uuid:\w+>", "00000000-0000-4000-8000-000000000001", url)
    url = re.sub(r"<(?:str:|slug:)?(\w+)>", "x", url)
    url = re.sub(r"<path:\w+>", "x", url)
    url = url.replace("^", "").replace("$", "").replace("\\Z", "")
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", url)
    return "/" + url


ALL = list(walk(get_resolver()))
OURS = [(route, name, view) for route, name, view in ALL if not name.startswith("admin:")]


def test_every_view_of_ours_declares_an_access_rule() -> None:
    missing = [
        name for _, name, view in OURS if getattr(view, "access_rule", None) not in {PUBLIC, PASSWORD_ONLY, VERIFIED}
    ]
    assert missing == []


def test_public_views_are_exactly_the_allowlist() -> None:
    public = {name for _, name, view in OURS if view.access_rule == PUBLIC}
    assert public == PUBLIC_VIEWS


def test_password_only_views_are_exactly_the_allowlist() -> None:
    password_only = {name for _, name, view in OURS if view.access_rule == PASSWORD_ONLY}
    assert password_only == PASSWORD_ONLY_VIEWS


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), [(r, n) for r, n, _ in ALL if n not in PUBLIC_VIEWS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_sign_in(client: Any, route: str, name: str, method: str) -> None:
    response = getattr(client, method)(concrete(route))
    assert response.status_code == 302, name
    assert response["Location"].startswith("/sign-in/"), name


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), [(r, n) for r, n, _ in ALL if n not in PUBLIC_VIEWS | PASSWORD_ONLY_VIEWS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_user_without_verified_second_factor_is_sent_to_set_up(
    password_only_client: Any, route: str, name: str, method: str
) -> None:
    """A password alone reaches nothing but the second-factor pages, the admin included."""
    client = password_only_client(UserFactory.create(email="new-starter@csp.example"))
    response = getattr(client, method)(concrete(route))
    assert response.status_code == 302, name
    assert response["Location"].startswith("/two-factor/set-up/"), name


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), [(r, n) for r, n, _ in ALL if n not in PUBLIC_VIEWS | PASSWORD_ONLY_VIEWS])
def test_user_with_device_but_no_code_is_asked_for_the_code(password_only_client: Any, route: str, name: str) -> None:
    chair = UserFactory.create(email="chair@csp.example")
    PartnershipRoleFactory.create(user=chair, role=PartnershipRoleKind.CSP_CHAIR)
    enrol_device(chair)
    response = password_only_client(chair).get(concrete(route))
    assert response.status_code == 302, name
    assert response["Location"].startswith("/sign-in/code/"), name

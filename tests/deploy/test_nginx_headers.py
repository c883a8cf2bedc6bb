"""nginx adds only the app's own security headers, with the app's values, and never a second copy.

The live test (test_nginx_live.py) runs the real nginx; these read its configuration against
what the app sends on a public page, a signed-in page and a document download.
"""

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from sharing.views.documents import UPLOAD_OVERHEAD
from tests.deploy.conftest import (
    NGINX_SITE,
    nginx_added_headers,
    nginx_directives,
    nginx_fallback_values,
    nginx_map_entries,
)
from tests.sharing.conftest import upload
from tests.sharing.samples import sample

# Every security header the app sets on its pages; the CSP is the app's alone.
SECURITY_HEADERS = {
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
}
CONFIG = nginx_directives(NGINX_SITE.read_text(encoding="utf-8"))


def directive(name: str) -> list[str]:
    return [value.strip() for value in re.findall(rf"^\s*{name}\s+([^;]*);", CONFIG, re.MULTILINE)]


def test_nginx_covers_every_security_header_and_adds_each_always() -> None:
    added = nginx_added_headers()
    assert set(added) == SECURITY_HEADERS
    assert [name for name, (_, _, always) in added.items() if not always] == [], "without always, error pages lack it"


def test_nginx_adds_a_header_only_to_a_response_that_lacks_it() -> None:
    for name, (variable, source, _) in nginx_added_headers().items():
        assert source == "upstream_http_" + name.lower().replace("-", "_"), name
        entries = nginx_map_entries(variable)
        assert set(entries) == {'""', "default"}, name
        # An empty value makes nginx leave the header out: the app's own copy stands alone.
        assert entries["default"] == "", name


def test_nginx_sets_no_content_security_policy_of_its_own() -> None:
    assert "content-security-policy" not in CONFIG.lower()


@pytest.fixture
def app_responses(world: Any, verified_client: Any, clean_storage: None) -> dict[str, Any]:
    """A public page, a signed-in page and a document download, as the app sends them over HTTPS."""
    space = world.space()
    contributor = verified_client(world.personas.contributor_a)
    upload(contributor, space, sample("pdf"))
    version = space.documents.get().versions.get()
    download = contributor.get(reverse("sharing:version_download", args=[version.document_id, version.pk]), secure=True)
    assert download.status_code == 200
    return {
        "public page": Client().get(reverse("accounts:sign_in"), secure=True),
        "signed-in page": contributor.get(reverse("accounts:account"), secure=True),
        "download": download,
    }


def test_nginx_values_are_the_apps(app_responses: dict[str, Any]) -> None:
    fallback = nginx_fallback_values()
    for page, response in app_responses.items():
        sent_by_app = {name: response[name] for name in fallback if response.has_header(name)}
        assert sent_by_app == {name: fallback[name] for name in sent_by_app}, page
        # Pages carry every one of them, so nginx adds nothing to a page the app sends.
        if page != "download":
            assert set(sent_by_app) == SECURITY_HEADERS, page


def test_uploads_stream_through_and_nothing_plaintext_is_buffered_to_disk() -> None:
    assert directive("proxy_request_buffering") == ["off"]
    assert directive("proxy_http_version") == ["1.1"]
    assert directive("proxy_max_temp_file_size") == ["0"]
    # The app's largest upload and its form, and a mebibyte more so the app answers "too large".
    (body_size,) = directive("client_max_body_size")
    assert body_size == f"{(settings.SHARING_MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD) // 1024**2 + 1}m"


def test_tls_is_modern_and_the_server_says_little() -> None:
    assert directive("ssl_protocols") == ["TLSv1.2 TLSv1.3"]
    (ciphers,) = directive("ssl_ciphers")
    assert all(
        cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher) for cipher in ciphers.split(":")
    )
    assert directive("server_tokens") == ["off"]
    assert directive("ssl_session_tickets") == ["off"]


def test_the_app_is_told_the_scheme_and_the_client_as_its_settings_expect() -> None:
    assert "X-Forwarded-Proto https" in directive("proxy_set_header")
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in directive("proxy_set_header")

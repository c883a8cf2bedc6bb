"""The real nginx, with deploy/nginx's configuration, in front of the app served by deploy/gunicorn.conf.py.

Both run on loopback ports with a throwaway certificate; the configuration is the deployed one
with only its addresses, paths and name changed (``render`` fails if any of those is not found,
so the test never runs a configuration that drifted from the deployed one).
"""

import hashlib
import http.client
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from sharing.models import Classification, DocumentVersion, VersionStatus
from tests.deploy.conftest import DEPLOY, NGINX_SITE, PYTHON, REPO, nginx_fallback_values
from tests.deploy.nginx_helpers import NAME, NGINX, main_config, render, self_signed_certificate
from tests.sharing.conftest import multipart, spooled_files
from tests.sharing.kms_server import free_port
from tests.sharing.samples import sample
from tests.subprocesses import app_environment

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="gunicorn must see the test's committed rows, which needs a server database",
)

STATIC_PROBE = "deploy-probe.css"


@dataclass
class Stack:
    folder: Path
    certificate: Path
    http_port: int
    https_port: int
    nginx_check: subprocess.CompletedProcess[str]

    def connection(self, timeout: float = 30) -> http.client.HTTPSConnection:
        context = ssl.create_default_context(cafile=str(self.certificate))
        return http.client.HTTPSConnection(NAME, self.https_port, context=context, timeout=timeout)

    def get(self, path: str, cookies: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        conn = self.connection()
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())} if cookies else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response, response.read()

    def origin(self) -> str:
        return f"https://{NAME}:{self.https_port}"

    def temporary_files(self) -> list[Path]:
        """Whatever nginx wrote to its temporary folders (request bodies, buffered responses)."""
        return sorted(path for path in (self.folder / "temp").rglob("*") if path.is_file())

    def error_log(self) -> str:
        return (self.folder / "error.log").read_text(encoding="utf-8")


def started(command: list[str], log: Path, **options: Any) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **options)


def stop(process: subprocess.Popen[bytes]) -> None:
    # SIGINT is a quick stop for both gunicorn and nginx: nothing is in flight by now.
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, django_db_blocker: Any) -> Iterator[Stack]:
    assert os.path.exists(NGINX), "nginx is not installed: apt-get install nginx-light (make nginx)"
    folder = tmp_path_factory.mktemp("nginx")
    certificate = self_signed_certificate(folder)
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    site = render(
        NGINX_SITE.read_text(encoding="utf-8"),
        [
            ("listen [::]:80;\n", "", 1),
            ("listen [::]:80 default_server;\n", "", 1),
            ("listen [::]:443 ssl default_server;\n", "", 1),
            ("listen [::]:443 ssl http2;\n", "", 1),
            ("listen 80;", f"listen 127.0.0.1:{http_port};", 1),
            ("listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;", 1),
            ("listen 443 ssl default_server;", f"listen 127.0.0.1:{https_port} ssl default_server;", 1),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", 1),
            ("dhr.example.org", NAME, 3),
            ("/etc/ssl/dhr-tracker/", f"{folder}/", 2),
            ("/var/log/nginx/", f"{folder}/", 2),
            ("/var/www/acme", f"{folder}/acme", 1),
        ],
    )
    upstream = render(
        (DEPLOY / "nginx" / "upstream-host.conf").read_text(encoding="utf-8"),
        [("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};", 1)],
    )
    (folder / "site.conf").write_text(site, encoding="utf-8")
    (folder / "upstream.conf").write_text(upstream, encoding="utf-8")
    main = main_config(folder, [folder / "upstream.conf", folder / "site.conf"])
    nginx = [NGINX, "-p", f"{folder}/", "-c", str(main)]
    check = subprocess.run([*nginx, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr

    # A static file for WhiteNoise to find when gunicorn starts (the test settings' STATIC_ROOT).
    probe = Path(settings.STATIC_ROOT) / STATIC_PROBE
    probe.write_text("body { margin: 0; }\n", encoding="utf-8")
    environment = app_environment(
        GUNICORN_BIND=f"127.0.0.1:{app_port}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="4",
        ALLOWED_HOSTS=NAME,
        BEHIND_TLS_PROXY="true",
        TRUSTED_PROXY_COUNT="1",
        SECURE_SSL_REDIRECT="true",
        SECURE_COOKIES="true",
        DEBUG="false",
    )
    gunicorn = started(
        [PYTHON, "-m", "gunicorn", "--config", str(DEPLOY / "gunicorn.conf.py"), "dhr_tracker.wsgi"],
        folder / "gunicorn.log",
        cwd=REPO,
        env=environment,
    )
    server = started([*nginx, "-g", "daemon off;"], folder / "nginx.log")
    running = Stack(folder, certificate, http_port, https_port, check)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response, _ = running.get("/health/")
                if response.status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (folder / "gunicorn.log").read_text()
            time.sleep(0.2)
        yield running
    finally:
        stop(server)
        stop(gunicorn)
        probe.unlink()


def test_the_deployed_configuration_passes_nginx_t(stack: Stack) -> None:
    assert "syntax is ok" in stack.nginx_check.stderr
    assert "test is successful" in stack.nginx_check.stderr


def test_plain_http_goes_to_https_and_unknown_names_get_nothing(stack: Stack) -> None:
    conn = http.client.HTTPConnection(NAME, stack.http_port, timeout=10)
    conn.request("GET", "/reviews/?page=2")
    response = conn.getresponse()
    assert (response.status, response.getheader("Location")) == (301, f"https://{NAME}/reviews/?page=2")

    by_address = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=10)
    by_address.request("GET", "/")
    with pytest.raises(http.client.RemoteDisconnected):
        by_address.getresponse()
    # Over TLS, a name nginx does not serve gets no certificate at all.
    context = ssl.create_default_context(cafile=str(stack.certificate))
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", stack.https_port)) as raw, pytest.raises(ssl.SSLError):
        context.wrap_socket(raw, server_hostname="other.example")


def header_counts(response: http.client.HTTPResponse) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in response.getheaders():
        found.setdefault(name.lower(), []).append(value)
    return found


def assert_security_headers_once(response: http.client.HTTPResponse, *, csp: bool) -> None:
    """Every security header exactly once with the app's value; the CSP once if the app sent one."""
    headers = header_counts(response)
    for name, value in nginx_fallback_values().items():
        assert headers.get(name.lower()) == [value], name
    assert len(headers.get("content-security-policy", [])) == (1 if csp else 0)


def test_nginx_own_answers_carry_the_headers(stack: Stack) -> None:
    """An answer nginx gives itself (here: a body over client_max_body_size) still has every header."""
    conn = stack.connection()
    conn.putrequest("POST", "/sign-in/")
    conn.putheader("Content-Length", str(3 * 1024**3))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    assert_security_headers_once(response, csp=False)

    health, body = stack.get("/health/")
    assert (health.status, body) == (200, b'{"status": "ok"}')


@pytest.mark.django_db(transaction=True)
def test_pages_uploads_and_downloads_through_nginx(
    stack: Stack, world: Any, verified_client: Any, clean_storage: None
) -> None:
    """Every kind of response carries each header once; a 3 MiB upload streams through unbuffered."""
    public, _ = stack.get(reverse("accounts:sign_in"))
    assert public.status == 200
    assert_security_headers_once(public, csp=True)
    static, _ = stack.get(f"/assets/{STATIC_PROBE}")
    assert static.status == 200
    assert_security_headers_once(static, csp=False)

    space = world.space()
    session = verified_client(world.personas.contributor_a).cookies[settings.SESSION_COOKIE_NAME].value
    cookies = {settings.SESSION_COOKIE_NAME: session}
    page, html = stack.get(reverse("sharing:document_upload", args=[space.pk]), cookies)
    assert page.status == 200
    assert_security_headers_once(page, csp=True)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    csrf_cookie = re.search(rf"{settings.CSRF_COOKIE_NAME}=([^;]+)", page.getheader("Set-Cookie") or "")
    assert token
    assert csrf_cookie
    cookies[settings.CSRF_COOKIE_NAME] = csrf_cookie[1]

    content = sample("pdf") + os.urandom(3 * 1024**2)
    fields = {
        "csrfmiddlewaretoken": token[1].decode(),
        "title": "Police chronology",
        "description": "",
        "classification": Classification.OFFICIAL,
    }
    body, content_type = multipart(fields, name="chronology.pdf", content=content)
    conn = stack.connection()
    conn.putrequest("POST", reverse("sharing:document_upload", args=[space.pk]))
    for name, value in {
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "Origin": stack.origin(),
        "Sec-Fetch-Site": "same-origin",
    }.items():
        conn.putheader(name, value)
    conn.endheaders()
    held_back = 64 * 1024
    conn.send(body[:-held_back])
    # Before the body is complete, the app is already encrypting it into its spool (in 1 MiB
    # chunks): nginx passes the body on as it arrives rather than collecting it first, on disk.
    deadline = time.monotonic() + 10
    while not any(path.name.endswith(".part") and path.stat().st_size > 0 for path in spooled_files()):
        assert time.monotonic() < deadline, "the app saw nothing of the upload until it was complete"
        time.sleep(0.05)
    conn.send(body[-held_back:])
    response = conn.getresponse()
    response.read()
    assert response.status == 302, stack.error_log()[-2000:]
    assert_security_headers_once(response, csp=True)

    version = DocumentVersion.objects.get(document__title="Police chronology")
    assert version.status == VersionStatus.AVAILABLE
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    download, downloaded = stack.get(
        reverse("sharing:version_download", args=[version.document_id, version.pk]), cookies
    )
    assert download.status == 200
    assert hashlib.sha256(downloaded).digest() == hashlib.sha256(content).digest()
    assert download.getheader("Content-Disposition", "").startswith("attachment;")
    assert_security_headers_once(download, csp=True)
    # Neither the upload nor the decrypted download touched nginx's disk.
    assert stack.temporary_files() == []
    assert "buffered to a temporary file" not in stack.error_log()

"""The app's real processes for the reliability tests, on loopback: Redis, a PostgreSQL cluster,
gunicorn and Celery workers, each started and stopped by the test; and a plain HTTP client.

The app's processes run ``dhr_tracker.settings`` as in production, configured only through the
environment: the test's own ``DHR_VAR_DIR`` (so they hold the same keys as the test process), the
database and broker the test names, ``DEBUG`` off. Each writes its output to a file the test shows
when it fails.
"""

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from tests.sharing.conftest import multipart
from tests.sharing.kms_server import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60.0
# A page that takes longer than this has hung, as far as a person waiting for it is concerned.
REQUEST_TIMEOUT_SECONDS = 10.0
POSTGRES_VERSION = "15"


class DidNotStart(RuntimeError):
    """A process exited, or did not become ready in time."""


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


@dataclass
class Process:
    """A child process started in its own session, so that it and its children stop together."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.popen = subprocess.Popen(
                self.args, env=self.env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if not self.running() or time.monotonic() > deadline:
                self.stop()
                raise DidNotStart(f"{self.name} did not {what}:\n{_tail(self.log)}")
            time.sleep(0.05)

    def kill(self) -> None:
        """Kill the process and its children at once (SIGKILL), as a crash or the OOM killer would."""
        if self.running():
            assert self.popen is not None
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def stop(self, timeout: float = 15) -> None:
        if not self.running():
            return
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class RedisServer:
    """A private redis-server on a free port, which a test may stop and start again."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = Process("redis-server", args, {"PATH": os.environ["PATH"]}, log)

    def start(self) -> None:
        self.process.start()
        self.process.wait_until(self._answers, "answer PING")

    def stop(self) -> None:
        self.process.stop()

    def _answers(self) -> bool:
        return subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout == b"PONG\n"


class PostgresCluster:
    """A throwaway PostgreSQL cluster (Debian's pg_createcluster), for a test that restarts it.

    Its name carries this process's id, so a cluster left by a test run that was itself killed is
    dropped by the next run. Trust authentication on loopback only; fsync off, as nothing in it
    needs to survive the machine.
    """

    PREFIX = "dhr_rel_"

    def __init__(self) -> None:
        self.name = f"{self.PREFIX}{os.getpid()}"
        self.port = free_port()

    def create(self) -> None:
        self._drop_abandoned()
        subprocess.run(
            [
                *("pg_createcluster", POSTGRES_VERSION, self.name, "--port", str(self.port)),
                *("-o", "fsync=off", "-o", "synchronous_commit=off", "-o", "full_page_writes=off"),
                *("--", "--auth=trust", "--no-sync"),
            ],
            check=True,
            capture_output=True,
        )
        self.control("start")

    def control(self, action: str) -> None:
        """``start``, ``stop`` (fast: open transactions are rolled back) or ``restart`` the server."""
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", POSTGRES_VERSION, self.name, action],
            check=True,
            capture_output=True,
        )

    def drop(self) -> None:
        subprocess.run(["pg_dropcluster", POSTGRES_VERSION, self.name, "--stop"], capture_output=True)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def copy_database(self, source_url: str, name: str) -> None:
        """Copy a database into this cluster as ``name``: schema, data and triggers."""
        subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name], check=True)
        dump = subprocess.Popen(["pg_dump", "--no-owner", "--no-privileges", source_url], stdout=subprocess.PIPE)
        subprocess.run(
            ["psql", "--quiet", "--set", "ON_ERROR_STOP=1", "--output", os.devnull, self.url(name)],
            stdin=dump.stdout,
            check=True,
        )
        assert dump.wait() == 0, "pg_dump failed"

    def _drop_abandoned(self) -> None:
        for config in Path(f"/etc/postgresql/{POSTGRES_VERSION}").glob(f"{self.PREFIX}*"):
            owner = config.name.removeprefix(self.PREFIX)
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                subprocess.run(["pg_dropcluster", POSTGRES_VERSION, config.name, "--stop"], capture_output=True)


def gunicorn(env: dict[str, str], log: Path, *, workers: int = 2) -> tuple[Process, str]:
    """Start the app under gunicorn with ``workers`` sync workers; return it and its address.

    It may still be starting: ``answering`` waits until it answers.
    """
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", "dhr_tracker.wsgi", "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", str(workers), "--timeout", "30", "--graceful-timeout", "5"]
    # Import the app once, before forking, rather than in each worker at once on two cores. It opens no
    # connection at import, so the workers share none.
    args += ["--preload"]
    # gunicorn's control socket is one path per user ($HOME/.gunicorn): two servers would share it.
    args += ["--no-control-socket"]
    server = Process("gunicorn", args, env, log)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def answering(server: Process, address: str) -> None:
    """Wait until the server's health check answers 200 (its database reachable)."""
    server.wait_until(lambda: _healthy(address), "answer /health/")


def _healthy(address: str) -> bool:
    try:
        return Browser(address, timeout=1).get("/health/").status == 200
    except OSError:
        return False


def celery_worker(env: dict[str, str], log: Path, *, name: str) -> Process:
    """Start a Celery worker (prefork, one child, as deployed but smaller); return it once it consumes."""
    args = [sys.executable, "-m", "celery", "-A", "dhr_tracker", "worker", "--hostname", f"{name}@%h"]
    args += ["--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO"]
    # Mingle and gossip talk to other workers at start-up; there are none, and they cost seconds.
    args += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    worker = Process(name, args, env, log)
    worker.start()
    worker.wait_until(lambda: f"{name}@" in worker.output() and " ready." in worker.output(), "become ready")
    return worker


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str
    seconds: float

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Browser:
    """A person's browser, reduced to what the tests need: cookies, forms with their CSRF token, no redirects."""

    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = REQUEST_TIMEOUT_SECONDS

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def form_token(self, path: str) -> str:
        """Open the form at ``path`` and return its CSRF token."""
        form = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token, f"no form at {path} ({form.status})"
        return token.group(1)

    def post(
        self,
        path: str,
        fields: Mapping[str, object],
        *,
        token: str | None = None,
        file: tuple[str, bytes] | None = None,
    ) -> Page:
        """Post the form at ``path`` as a browser does: with its CSRF token (the form opened now unless
        ``token`` is given) and ``file``, a name and content, in its file field."""
        values = {"csrfmiddlewaretoken": token or self.form_token(path), **fields}
        if file is None:
            return self.request("POST", path, urlencode(values).encode(), "application/x-www-form-urlencoded")
        name, content = file
        body, content_type = multipart({key: str(value) for key, value in values.items()}, name=name, content=content)
        return self.request("POST", path, body, content_type)

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None) -> Page:
        host, port = self.address.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=self.timeout)
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        headers_seen = {name.lower(): value for name, value in response.getheaders()}
        return Page(response.status, headers_seen, text, time.monotonic() - started)


@contextmanager
def running(process: Process) -> Iterator[Process]:
    """Stop ``process`` when the block ends, however it ends."""
    try:
        yield process
    finally:
        process.stop()

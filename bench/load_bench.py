"""Load test: a hundred signed-in people at once against gunicorn on loopback, for ten minutes. Prints figures; asserts nothing.

The app runs as in production on one machine: gunicorn (``--workers`` processes of ``THREADS``
threads, gthread) on the national-scale data set in PostgreSQL (``dhr_bench_load``, seeded once by
``load_world`` and reused), a Celery worker that stores the uploads and Celery beat that chains
and checkpoints the audit trail, both on Redis database 14. Documents and keys are local, under
``var/bench-load`` (the embedded default's storage and keyring), with ``DEBUG`` off.

The people (``load_world.cast``: CSP chairs and coordinators, independent chairs, panel members,
agency contributors and auditors, in the shares of ``load_world.ROLES``) are signed in with a
verified second factor through sessions made in the database. Each is a thread of this process
(never gunicorn's) that loops over the flows its role has, with a think time of ``THINK``
seconds after each page, as a browser would: one new connection a request (as nginx makes to
gunicorn), its cookies kept, a form's CSRF token taken from the form, and posts carrying
``Origin: null`` and ``Sec-Fetch-Site: same-origin`` as browsers do under ``no-referrer``. Every
response is checked: its status, and the page's own marker (its heading or title, the review's
reference, the page number, the upload's SHA-256 receipt; a download's size and SHA-256).

The users start over ``RAMP_SECONDS``, then ``WARM_UP_SECONDS`` pass unmeasured; then
``--minutes`` are measured. Errors count throughout. Every ``SAMPLE_SECONDS`` of the measured
period the resident memory of every process (gunicorn's master and workers, the Celery worker
and its pool, beat) is read from ``/proc``, and the CPU time they, PostgreSQL's backends of the
database, this process and the whole machine used over the period is noted: on a shared machine
the last says how much of the latency is other people's work. Afterwards the bench waits for the
worker to store every upload and verifies the audit trail. It prints each page's requests,
errors, median, p95 and worst latency, the request rate, where the CPU went, each process's
memory, and a verdict per target, ending ``targets met: N of M``; it always exits 0.
"""

import argparse
import hashlib
import html
import http.client
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.django_bench import configure, signed_in  # noqa: E402

BENCH_DB = configure("postgres://postgres@127.0.0.1:5432/dhr_bench_load", "bench-load")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from audit.chaining import chain_pending  # noqa: E402
from audit.verification import Result as Verification  # noqa: E402
from audit.verification import verify  # noqa: E402
from bench import load_world, reviews_bench  # noqa: E402
from bench.reporting import require, say  # noqa: E402
from bench.sharing_bench import app_env, free_port, load, memory_kib  # noqa: E402
from dhr_tracker.accounts.rules import SUDO_SESSION_KEY  # noqa: E402
from sharing.models import DocumentVersion, VersionStatus  # noqa: E402

BROKER = "redis://127.0.0.1:6379/14"
VAR = ROOT / "var" / "bench-load"
# Two threads a worker: while one request waits on PostgreSQL or a slow body, the other runs.
THREADS = 2
CELERY_CONCURRENCY = 2
RAMP_SECONDS = 30
WARM_UP_SECONDS = 60
THINK = (1.0, 3.0)
# The fewest people whose shares (load_world.ROLES) give every role someone.
MIN_USERS = 10
SAMPLE_SECONDS = 10
REQUEST_TIMEOUT = 60
START_SECONDS = 90
STORE_WAIT_SECONDS = 120
# A process whose resident memory grows by this much over the second half of the run is not stable.
MEMORY_GROWTH_LIMIT = 0.10
# A search page of the auditors offers the next, older page through this link.
OLDER = re.compile(r'href="(/audit/events/\?[^"]*before=\d+[^"]*)"')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DASH = "\N{EN DASH}"


# The app's processes ---------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, oldest first."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


@dataclass
class App:
    """gunicorn, a Celery worker and Celery beat on loopback, each logging into ``logs``."""

    workers: int
    logs: Path
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = app_env(VAR, 0)
        env.update(DATABASE_URL=BENCH_DB, CELERY_BROKER_URL=BROKER, ALLOWED_HOSTS="127.0.0.1")
        return env

    def start(self, name: str, args: list[str]) -> None:
        with (self.logs / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                [sys.executable, "-m", *args], cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )

    def __enter__(self) -> "App":
        self.logs.mkdir(parents=True, exist_ok=True)
        self.start(
            "gunicorn",
            [
                "gunicorn",
                "dhr_tracker.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={self.workers}",
                "--worker-class=gthread",
                f"--threads={THREADS}",
                # Its default control socket is one per user, shared with any other gunicorn here.
                "--no-control-socket",
            ],
        )
        celery = ["celery", "--app=dhr_tracker"]
        self.start("celery-worker", [*celery, "worker", "--loglevel=WARNING", f"--concurrency={CELERY_CONCURRENCY}"])
        self.start("celery-beat", [*celery, "beat", "--loglevel=WARNING", f"--schedule={VAR / 'celerybeat-schedule'}"])
        deadline = time.monotonic() + START_SECONDS
        while not self.ready():
            for name, process in self.processes.items():
                require(process.poll() is None, f"{name} exited; see {self.logs / name}.log")
            require(time.monotonic() < deadline, f"the app did not start in {START_SECONDS}s; see {self.logs}")
            time.sleep(0.5)
        return self

    def ready(self) -> bool:
        """Whether gunicorn answers with all its workers and the Celery worker has its pool."""
        if len(children(self.processes["gunicorn"].pid)) < self.workers:
            return False
        if len(children(self.processes["celery-worker"].pid)) < CELERY_CONCURRENCY:
            return False
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", "/health/")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def __exit__(self, *_: object) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def members(self) -> dict[int, str]:
        """Every process of the app now, by pid: what it is."""
        gunicorn = self.processes["gunicorn"].pid
        worker = self.processes["celery-worker"].pid
        found = {gunicorn: "gunicorn master", worker: "celery worker", self.processes["celery-beat"].pid: "celery beat"}
        found |= dict.fromkeys(children(gunicorn), "gunicorn worker")
        found |= dict.fromkeys(children(worker), "celery pool process")
        return found


# Measurements --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    page: str
    started: float
    ms: float
    problem: str | None
    path: str


@dataclass
class Run:
    """What every person shares: when the run measures and ends, and what they saw."""

    measure_from: float
    measure_until: float
    stop: threading.Event = field(default_factory=threading.Event)
    results: list[Result] = field(default_factory=list)
    # (document id, SHA-256 of what was sent) of every upload the app accepted.
    uploads: list[tuple[int, str]] = field(default_factory=list)

    def measured(self, result: Result) -> bool:
        return self.measure_from <= result.started < self.measure_until


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """The CPU time every processor of the machine has spent on anything but idling, so far."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def database_backends() -> list[int]:
    """The PostgreSQL processes serving the load test's database now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


@dataclass
class Usage:
    """What the app's processes used over the measured period: resident memory (KiB) at each sample, and CPU time."""

    kinds: dict[int, str] = field(default_factory=dict)
    samples: list[dict[int, int]] = field(default_factory=list)
    cpu_start: dict[str, float] = field(default_factory=dict)
    cpu_end: dict[str, float] = field(default_factory=dict)
    # Each PostgreSQL backend's CPU seconds when first seen (0 if it began during the period) and when last seen.
    backends: dict[int, list[float]] = field(default_factory=dict)

    def sample(self, app: App, *, first: bool = False) -> None:
        found = {}
        for pid, kind in app.members().items():
            try:
                found[pid] = memory_kib(pid)["VmRSS"]
            except (OSError, AttributeError):
                continue
            self.kinds[pid] = kind
        self.samples.append(found)
        for pid in database_backends():
            try:
                used = cpu_seconds(pid)
            except OSError:
                continue
            self.backends.setdefault(pid, [used if first else 0.0, used])[1] = used

    @staticmethod
    def cpu_now(app: App) -> dict[str, float]:
        """CPU seconds used so far by gunicorn's processes, Celery's, this process and the whole machine."""
        used = {"gunicorn": 0.0, "celery": 0.0}
        for pid, kind in app.members().items():
            try:
                used[kind.split()[0]] += cpu_seconds(pid)
            except OSError:
                continue
        return used | {"load generator": cpu_seconds(os.getpid()), "machine": machine_busy_seconds()}

    def watch(self, app: App, run: Run) -> None:
        """Sample at the start of the measured period, every ``SAMPLE_SECONDS``, and at its end."""
        time.sleep(max(0.0, run.measure_from - time.monotonic()))
        try:
            self.cpu_start = self.cpu_now(app)
            self.sample(app, first=True)
            while (left := run.measure_until - time.monotonic()) > 0:
                time.sleep(min(SAMPLE_SECONDS, left))
                self.sample(app)
            self.cpu_end = self.cpu_now(app)
        finally:
            connection.close()

    def cpu_used(self) -> dict[str, float]:
        used = {who: self.cpu_end[who] - self.cpu_start[who] for who in self.cpu_start}
        return used | {"PostgreSQL": sum(last - first for first, last in self.backends.values())}


# One person ---------------------------------------------------------------------------------------------


class Stopped(Exception):
    """The run is over: the person stops where they are."""


@dataclass
class Reply:
    status: int
    location: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Person:
    """A signed-in person of the load test: a browser's cookies, their flows and the think time between pages."""

    def __init__(self, persona: load_world.Persona, session_key: str, port: int, run: Run, seed: int) -> None:
        self.persona = persona
        self.cookies = {settings.SESSION_COOKIE_NAME: session_key}
        self.port = port
        self.run = run
        self.rng = random.Random(seed)  # noqa: S311 - a workload, not security
        self.flows = [
            (flow, weight)
            for flow, weight, wanted in (
                (self.home, 1, True),
                (self.reviews, 2, persona.role not in ("agency contributor", "auditor")),
                (self.overview, 3, bool(persona.reviews)),
                (self.panel, 2, bool(persona.panels)),
                (self.combined, 2, bool(persona.combined)),
                (self.requests, 2, bool(persona.requests)),
                (self.upload, 1, bool(persona.spaces)),
                (self.download, 3, bool(persona.downloads)),
                (self.audit_home, 1, persona.role == "auditor"),
                (self.search, 6, persona.role == "auditor"),
            )
            if wanted
        ]

    def live(self) -> None:
        """Arrive during the ramp, then go from flow to flow until the run stops."""
        try:
            self.think(self.rng.uniform(0, RAMP_SECONDS))
            flows, weights = zip(*self.flows, strict=True)
            while True:
                self.rng.choices(flows, weights=weights)[0]()
        except Stopped:
            return

    def think(self, seconds: float | None = None) -> None:
        if self.run.stop.wait(self.rng.uniform(*THINK) if seconds is None else seconds):
            raise Stopped

    # HTTP

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        sent = {
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
            "User-Agent": load_world.USER_AGENT,
            "Sec-Fetch-Site": "same-origin",
            **(headers or {}),
        }
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Reply(response.status, response.getheader("Location", ""), content)

    def timed(
        self,
        page: str,
        path: str,
        check: Callable[[Reply], str | None],
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply | None:
        """Request ``path``, note how long it took and what was wrong with it; the reply if nothing was."""
        started = time.monotonic()
        clock = time.perf_counter()
        try:
            reply = self.request(method, path, body, headers)
            problem = check(reply)
        except (OSError, http.client.HTTPException) as failure:
            reply, problem = None, f"{type(failure).__name__}: {failure}"
        self.run.results.append(Result(page, started, (time.perf_counter() - clock) * 1000, problem, path))
        return reply if problem is None else None

    def page(self, page: str, path: str, *markers: str) -> Reply | None:
        """A page that must answer 200 and show its markers."""

        def check(reply: Reply) -> str | None:
            if reply.status != 200:
                return f"status {reply.status}"
            missing = [marker for marker in markers if marker not in reply.text]
            return f"page without {missing[0]!r}" if missing else None

        return self.timed(page, path, check)

    # Flows

    def home(self) -> None:
        self.page("home dashboard", "/", '<h1 class="govuk-heading-l">Dashboard</h1>')
        self.think()

    def reviews(self) -> None:
        self.page("reviews dashboard", "/reviews/", '<h1 class="govuk-heading-l">Reviews</h1>')
        self.think()

    def overview(self) -> None:
        review_id, reference = self.rng.choice(self.persona.reviews)
        self.page("review overview", f"/reviews/{review_id}/", f"<title>Overview {DASH} {reference} {DASH}")
        self.think()

    def panel(self) -> None:
        review_id, reference = self.rng.choice(self.persona.panels)
        self.page(
            "review panel page", f"/reviews/{review_id}/panel/", f"<title>Chair and panel {DASH} {reference} {DASH}"
        )
        self.think()

    def combined(self) -> None:
        """The first page, then a later one, as someone reading on."""
        review_id, reference, pages = self.rng.choice(self.persona.combined)
        path = f"/reviews/{review_id}/combined/"
        title = f"<title>Combined chronology {DASH} {reference} {DASH}"
        first = self.page("combined chronology, first page", path, title, f"page 1 of {pages}")
        self.think()
        if first is not None and pages > 1:
            later = self.rng.randint(2, pages)
            self.page("combined chronology, later page", f"{path}?page={later}", title, f"page {later} of {pages}")
            self.think()

    def requests(self) -> None:
        self.page("agency's requests", "/requests/", '<h1 class="govuk-heading-l">Requests to agencies</h1>')
        self.think()
        request_id, name, reference = self.rng.choice(self.persona.requests)
        self.page("request page", f"/requests/{request_id}/", f"<title>{html.escape(name)} {DASH} {reference} {DASH}")
        self.think()

    def upload(self) -> None:
        """The upload form, a think while it is filled in, the post, and the document page it leads to."""
        path = f"/sharing/spaces/{self.rng.choice(self.persona.spaces)}/upload/"
        form = self.page("upload form", path, "Upload a document", 'name="csrfmiddlewaretoken"')
        self.think()
        token = TOKEN.search(form.text) if form is not None else None
        if token is None:
            return
        content = load_world.document_content(self.rng)
        receipt = hashlib.sha256(content).hexdigest()
        title = f"{load_world.UPLOAD_PREFIX} {secrets.token_hex(4)}"
        fields = {
            "csrfmiddlewaretoken": token.group(1),
            "title": title,
            "description": "",
            "classification": self.rng.choice(("official", "official_sensitive")),
            "access_ends_on": "",
        }
        body, content_type = multipart(fields, f"{title}.pdf", content)

        def redirected(reply: Reply) -> str | None:
            if reply.status != 302:
                return f"status {reply.status}"
            return None if re.fullmatch(r"/sharing/documents/\d+/", reply.location) else f"redirect to {reply.location}"

        headers = {"Content-Type": content_type, "Origin": "null"}
        posted = self.timed("upload (post)", path, redirected, method="POST", body=body, headers=headers)
        if posted is None:
            return
        document_id = int(posted.location.rstrip("/").rsplit("/", 1)[1])
        # The browser follows the redirect at once; the receipt shows the app got every byte.
        if self.page("uploaded document's page", posted.location, html.escape(title), receipt) is not None:
            self.run.uploads.append((document_id, receipt))
        self.think()

    def download(self) -> None:
        """The document's page, then the download, its size and SHA-256 checked."""
        chosen = self.rng.choice(self.persona.downloads)
        self.page("document page", f"/sharing/documents/{chosen.document_id}/", chosen.sha256)
        self.think()

        def whole(reply: Reply) -> str | None:
            if reply.status != 200:
                return f"status {reply.status}"
            if len(reply.body) != chosen.size:
                return f"{len(reply.body)} bytes, not {chosen.size}"
            return None if hashlib.sha256(reply.body).hexdigest() == chosen.sha256 else "SHA-256 differs"

        self.timed("download", f"/sharing/documents/{chosen.document_id}/versions/{chosen.version_id}/download/", whole)
        self.think()

    def audit_home(self) -> None:
        self.page("audit trail home", "/audit/", '<h1 class="govuk-heading-l">Audit trail</h1>')
        self.think()

    def search(self) -> None:
        """A search, and sometimes the page of older events after it."""
        query = self.rng.choice(self.persona.searches)
        heading = '<h1 class="govuk-heading-l">Search the audit trail</h1>'
        found = self.page("audit search", f"/audit/events/?{query}" if query else "/audit/events/", heading)
        self.think()
        older = OLDER.search(found.text) if found is not None else None
        if older is not None and self.rng.random() < 0.3:
            self.page("audit search, older events", html.unescape(older.group(1)), heading)
            self.think()


def multipart(fields: dict[str, str], file_name: str, content: bytes) -> tuple[bytes, str]:
    """A form's fields and one PDF as a browser posts them; the body and its content type."""
    boundary = f"----dhr-load-bench-{secrets.token_hex(8)}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# Sessions, the run, the wait for the worker ------------------------------------------------------------------


def sign_in(persona: load_world.Persona) -> str:
    """A session of the persona with a verified second factor given just now, as after the sign-in pages."""
    session = signed_in(persona.user).session
    # Set at sign-in: OFFICIAL-SENSITIVE documents open within 12 hours of it.
    session[SUDO_SESSION_KEY] = time.time()
    session.save()
    return str(session.session_key)


def drive(app: App, cast: list[load_world.Persona], minutes: float) -> tuple[Run, Usage]:
    """Run everyone's flows through the ramp, the warm-up and ``minutes`` measured; watch the app's usage meanwhile."""
    sessions = [sign_in(persona) for persona in cast]
    now = time.monotonic()
    run = Run(
        measure_from=now + RAMP_SECONDS + WARM_UP_SECONDS,
        measure_until=now + RAMP_SECONDS + WARM_UP_SECONDS + minutes * 60,
    )
    usage = Usage()
    people = [
        Person(persona, session, app.port, run, seed)
        for seed, (persona, session) in enumerate(zip(cast, sessions, strict=True))
    ]
    threads = [threading.Thread(target=person.live, daemon=True) for person in people]
    threads.append(threading.Thread(target=usage.watch, args=(app, run), daemon=True))
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, run.measure_until - time.monotonic()))
    run.stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
    return run, usage


def stored(uploads: list[tuple[int, str]]) -> Counter[str]:
    """Wait for the worker to store every accepted upload; count the outcomes (and wrong receipts)."""
    documents = [document_id for document_id, _ in uploads]
    deadline = time.monotonic() + STORE_WAIT_SECONDS
    versions = DocumentVersion.objects.filter(document_id__in=documents)
    while versions.filter(status=VersionStatus.PENDING).exists() and time.monotonic() < deadline:
        time.sleep(1)
    receipts = dict(uploads)
    counted: Counter[str] = Counter()
    for document_id, status, sha256 in versions.values_list("document_id", "status", "sha256"):
        counted[status if receipts[document_id] == sha256 else "receipt differs"] += 1
    counted["missing"] = len(documents) - sum(counted.values())
    return counted


# The report ------------------------------------------------------------------------------------------------

PAGES = (
    "home dashboard",
    "reviews dashboard",
    "review overview",
    "review panel page",
    "combined chronology, first page",
    "combined chronology, later page",
    "agency's requests",
    "request page",
    "upload form",
    "upload (post)",
    "uploaded document's page",
    "document page",
    "download",
    "audit trail home",
    "audit search",
    "audit search, older events",
)


PROCESSES = ("gunicorn master", "gunicorn worker", "celery worker", "celery pool process", "celery beat")


@dataclass
class Verdict:
    name: str
    value: str
    target: str
    met: bool


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def report_pages(run: Run, minutes: float) -> list[Verdict]:
    """Requests, errors and latency per page over the measured period; the errors of the whole run."""
    measured = [result for result in run.results if run.measured(result)]
    say("")
    say(f"Pages over the {minutes:g} measured minutes (latency from the first byte sent to the last read, in ms):")
    say(f"  {'page':<34} {'requests':>8} {'errors':>6} {'median':>8} {'p95':>8} {'worst':>8}")
    for page in PAGES:
        rows = [result for result in measured if result.page == page]
        if not rows:
            continue
        times = [result.ms for result in rows]
        errors = sum(1 for result in rows if result.problem)
        say(
            f"  {page:<34} {len(rows):>8,} {errors:>6} {statistics.median(times):>8.0f} {p95(times):>8.0f} "
            f"{max(times):>8.0f}"
        )
    times = [result.ms for result in measured]
    say(
        f"  {'all pages':<34} {len(measured):>8,} {sum(1 for r in measured if r.problem):>6} "
        f"{statistics.median(times):>8.0f} {p95(times):>8.0f} {max(times):>8.0f}"
    )
    say(f"Request rate: {len(measured) / (minutes * 60):.1f} requests/s over the measured period")
    failed = [result for result in run.results if result.problem]
    reasons = Counter((result.page, result.problem) for result in failed)
    say(f"Errors over the whole run (ramp and warm-up included): {len(failed)} of {len(run.results):,} requests")
    for (page, problem), count in reasons.most_common():
        example = next(result.path for result in failed if (result.page, result.problem) == (page, problem))
        say(f"  {count:>5} x {page}: {problem} (for example {example})")
    return [Verdict("errors, whole run", f"{len(failed)} of {len(run.results):,}", "0", not failed)]


def report_cpu(usage: Usage, requests: int, minutes: float) -> None:
    """Where the CPU went over the measured period: cores kept busy, and per request."""
    used = usage.cpu_used()
    seconds = minutes * 60
    say("")
    say(
        "CPU over the measured period, in cores kept busy: "
        + ", ".join(
            f"{who} {used[who] / seconds:.2f}" for who in ("gunicorn", "PostgreSQL", "celery", "load generator")
        )
        + f"; the whole machine {used['machine'] / seconds:.2f} of {os.cpu_count()}"
    )
    if requests:
        say(
            f"CPU per request: {used['gunicorn'] / requests * 1000:.0f} ms in gunicorn and "
            f"{used['PostgreSQL'] / requests * 1000:.0f} ms in PostgreSQL"
        )


def report_memory(usage: Usage) -> list[Verdict]:
    """Each process's resident memory at the start, middle and end of the measured period; growth over its second half."""
    say("")
    say(f"Resident memory of each process, sampled every {SAMPLE_SECONDS}s of the measured period (MiB):")
    say(f"  {'process':<20} {'pid':>7} {'start':>7} {'middle':>7} {'end':>7} {'growth':>7} {'2nd half':>9}")
    first, middle, last = usage.samples[0], usage.samples[len(usage.samples) // 2], usage.samples[-1]
    verdicts = []
    for pid, kind in sorted(usage.kinds.items(), key=lambda item: (PROCESSES.index(item[1]), item[0])):
        label = f"{kind} {pid}"
        if not (pid in first and pid in middle and pid in last):
            # A process that came or went during the run: a worker died, or was replaced.
            say(f"  {kind:<20} {pid:>7} present for part of the run only")
            verdicts.append(Verdict(f"memory of {label}", "came or went", "stable", False))
            continue
        growth = last[pid] / middle[pid] - 1
        say(
            f"  {kind:<20} {pid:>7} {first[pid] / 1024:>7.1f} {middle[pid] / 1024:>7.1f} {last[pid] / 1024:>7.1f} "
            f"{last[pid] / first[pid] - 1:>+7.1%} {growth:>+9.1%}"
        )
        verdicts.append(
            Verdict(
                f"memory of {label}, second half",
                f"{growth:+.1%}",
                f"< {MEMORY_GROWTH_LIMIT:.0%}",
                growth < MEMORY_GROWTH_LIMIT,
            )
        )
    return verdicts


def report_after(uploads: Counter[str], accepted: int, trail: Verification) -> list[Verdict]:
    """What became of the uploads, and whether the audit trail still verifies."""
    say("")
    say(
        f"Uploads accepted: {accepted}; afterwards: "
        + ", ".join(f"{count} {status}" for status, count in uploads.items() if count)
    )
    available = uploads[VersionStatus.AVAILABLE]
    say(f"Audit trail after the run: {trail.events_checked:,} events, {'verified' if trail.ok else trail.problem}")
    return [
        Verdict(
            "uploads stored by the worker, receipts matching",
            f"{available} of {accepted}",
            "all",
            available == accepted,
        ),
        Verdict("audit trail verifies after the run", "yes" if trail.ok else "no", "yes", trail.ok),
    ]


def print_verdicts(verdicts: list[Verdict]) -> None:
    width = max(len(verdict.name) for verdict in verdicts)
    say("")
    say(f"{'target':<{width}}  {'measured':<24} {'target':<8} met")
    for verdict in verdicts:
        say(f"{verdict.name:<{width}}  {verdict.value:<24} {verdict.target:<8} {'yes' if verdict.met else 'NO'}")
    say(f"targets met: {sum(verdict.met for verdict in verdicts)} of {len(verdicts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="measured minutes, after the warm-up (default 10)")
    parser.add_argument("--users", type=int, default=100, help="people signed in at once (default 100)")
    parser.add_argument("--workers", type=int, default=4, help=f"gunicorn workers, of {THREADS} threads (default 4)")
    args = parser.parse_args()
    require(args.minutes > 0, "--minutes must be more than 0")
    require(args.users >= MIN_USERS, f"--users must be at least {MIN_USERS}, so that every role has someone")
    require(args.workers >= 1, "--workers must be at least 1")
    call_command("migrate", verbosity=0)
    say(
        f"Load test: {args.users} people for {args.minutes:g} minutes after {RAMP_SECONDS + WARM_UP_SECONDS}s to ramp up "
        f"and warm up; gunicorn {args.workers} workers x {THREADS} threads, Celery worker and beat; "
        f"{os.cpu_count()} CPUs, load average {load()}"
    )
    if reviews_bench.seeded():
        say("(the national data set is already seeded)")
    else:
        reviews_bench.seed()
    if load_world.seeded():
        say("(the load test's chronologies, documents, contributors, auditors and trail are already seeded)")
    else:
        load_world.seed()
    cast = load_world.cast(args.users)
    roles = Counter(persona.role for persona in cast)
    say(
        "People: "
        + ", ".join(f"{count} {role}{'s' if count != 1 else ''}" for role, count in roles.items())
        + f"; think time {THINK[0]:g}-{THINK[1]:g}s"
    )
    with App(args.workers, VAR / "logs") as app:
        say(f"(the app is up on 127.0.0.1:{app.port}; its logs are in {app.logs})")
        run, usage = drive(app, cast, args.minutes)
        uploads = stored(run.uploads)
    chain_pending()
    trail = verify(save=False)
    verdicts = report_pages(run, args.minutes)
    report_cpu(usage, sum(1 for result in run.results if run.measured(result)), args.minutes)
    verdicts += report_memory(usage)
    verdicts += report_after(uploads, len(run.uploads), trail)
    print_verdicts(verdicts)
    say(f"(load average at the end {load()})")


if __name__ == "__main__":
    main()

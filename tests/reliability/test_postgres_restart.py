"""PostgreSQL restarted under load: every request is answered, 200 or a clean 503, and all succeed
again as soon as the server is back.

gunicorn runs the app with two workers against a throwaway cluster holding a copy of the test's
data; signed-in people and a load balancer's health check keep requesting pages while the cluster
is stopped for two seconds and started again. During the outage a page is the GOV.UK "Sorry, the
service is unavailable" page with ``Retry-After`` (``dhr_tracker.unavailable``) and the health
check says ``unavailable``; never a 500, a hang or a reset connection. Afterwards no request
fails: each worker's persistent connection died with the old server, and ``CONN_HEALTH_CHECKS``
replaces it before its first query.
"""

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from dhr_tracker import unavailable
from tests.reliability.conftest import needs_postgresql, session_of
from tests.reliability.processes import Browser, PostgresCluster, answering, gunicorn, running
from tests.reviews.conftest import ReviewWorld, review_world
from tests.subprocesses import app_environment

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgresql]
__all__ = ["review_world"]  # a fixture, used by name

OUTAGE_SECONDS = 2.0
AFTER_SECONDS = 2.5
# Requests that began this soon after the server was back may have met it still starting.
RECOVERY_SECONDS = 1.0


@dataclass(frozen=True)
class Answer:
    path: str
    started: float
    status: int | None
    retry_after: str | None = None
    text: str = ""
    error: str = ""


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    """A cluster not created yet (the test creates it while gunicorn starts), dropped whatever happens."""
    cluster = PostgresCluster()
    try:
        yield cluster
    finally:
        cluster.drop()


def keep_asking(browser: Browser, paths: list[str], stop: threading.Event, answers: list[Answer]) -> None:
    """Request ``paths`` in turn until told to stop, noting every answer, or the error instead of one."""
    while not stop.is_set():
        for path in paths:
            started = time.monotonic()
            try:
                page = browser.get(path)
            except OSError as error:  # a reset connection, a refused one, or a hang (socket timeout)
                answers.append(Answer(path, started, None, error=repr(error)))
                continue
            answers.append(Answer(path, started, page.status, page.header("Retry-After"), page.text))


def test_requests_during_a_database_restart_get_a_clean_503_and_all_succeed_once_it_is_back(
    review_world: ReviewWorld,
    verified_client: Callable[..., Client],
    test_database: str,
    cluster: PostgresCluster,
    tmp_path: Path,
) -> None:
    people = review_world.personas
    review_page = f"/reviews/{review_world.review.pk}/"
    sessions = [session_of(verified_client(person)) for person in (people.csp_chair, people.coordinator)]
    env = app_environment(database=cluster.url("dhr"), CELERY_BROKER_URL=settings.CELERY_BROKER_URL)
    answers: list[Answer] = []
    stop = threading.Event()
    server, address = gunicorn(env, tmp_path / "gunicorn.log")

    with running(server):
        cluster.create()
        cluster.copy_database(test_database, "dhr")
        answering(server, address)
        clients = [Browser(address, cookies) for cookies in sessions] + [Browser(address)]
        paths = [["/", review_page]] * len(sessions) + [["/health/"]]
        threads = [
            threading.Thread(target=keep_asking, args=(client, path, stop, answers))
            for client, path in zip(clients, paths, strict=True)
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            down_at = time.monotonic()
            cluster.control("stop")
            time.sleep(OUTAGE_SECONDS)
            cluster.control("start")
            back_at = time.monotonic()
            time.sleep(AFTER_SECONDS)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        log = server.output()

    assert [answer for answer in answers if answer.error] == [], log
    assert {answer.status for answer in answers} == {200, 503}, log
    for answer in answers:
        if answer.status == 503 and answer.path == "/health/":
            assert json.loads(answer.text) == {"status": "unavailable"}
        elif answer.status == 503:
            assert answer.retry_after == str(unavailable.RETRY_AFTER_SECONDS)
            assert "Sorry, the service is unavailable" in answer.text
    during = [answer for answer in answers if down_at < answer.started < back_at]
    assert {answer.path for answer in during if answer.status == 503} == {"/", review_page, "/health/"}
    after = [answer for answer in answers if answer.started > back_at + RECOVERY_SECONDS]
    assert len(after) > 10
    assert {(answer.path, answer.status) for answer in after} == {("/", 200), (review_page, 200), ("/health/", 200)}
    assert "database unavailable" in log

"""Redis hanging (connections accepted, never answered) must not hang the page that queues work.

A Redis that refuses connections fails a publish at once (``test_redis_down.py``). One that hangs
(a half-open connection after a network fault, a server stuck in a fork) is worse: without socket
timeouts kombu waits for its answer forever, and so does the person's request, and each such
request holds a gunicorn worker. The publish here goes through the app's own connection settings
(``CELERY_BROKER_TRANSPORT_OPTIONS``) and retry policy (``CELERY_TASK_PUBLISH_RETRY_POLICY``), as a
page's would.
"""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from kombu.exceptions import OperationalError as BrokerUnavailable

from dhr_tracker.accounts.tasks import send_password_email
from dhr_tracker.celery import app

# The longest a page may wait on a hung queue before it answers.
PAGE_SECONDS = 5.0


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A server that accepts connections and never says a word; its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:  # closed at the end of the test
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.shutdown(socket.SHUT_RDWR)
    listener.close()
    for connection in held:
        connection.close()


# send_task always publishes; the tests' eager mode is left alone, as this thread may outlive the test.
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_hung_redis_fails_a_publish_within_seconds_rather_than_hanging_the_page(hung_redis: str) -> None:
    outcome: list[BaseException | None] = []

    def publish() -> None:
        try:
            with app.connection_for_write(hung_redis) as connection:
                app.send_task(send_password_email.name, (1,), {"purpose": "reset"}, connection=connection)
        except BrokerUnavailable as error:
            outcome.append(error)
        else:
            outcome.append(None)

    started = time.monotonic()
    # A thread, so that the test itself cannot hang: closing the server at the end releases it.
    publishing = threading.Thread(target=publish, daemon=True)
    publishing.start()
    publishing.join(timeout=PAGE_SECONDS + 5)

    assert outcome, "the publish was still waiting for the hung Redis"
    assert isinstance(outcome[0], BrokerUnavailable)
    assert time.monotonic() - started < PAGE_SECONDS

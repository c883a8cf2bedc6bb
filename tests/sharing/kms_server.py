"""A local KMS-compatible server (moto) in a subprocess, so KMS is tested over real HTTP.

``moto_endpoint`` is a session-scoped fixture; import it where it is needed
(``from tests.sharing.kms_server import moto_endpoint``). ``moto_server()`` starts a private
server for a test that needs to stop it.
"""

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import pytest

START_TIMEOUT_SECONDS = 30.0
REGION = "eu-west-2"
# Dummy credentials: boto3 signs every request, and moto accepts any signature. The config files
# are pointed away so a developer's real AWS profile can never be used by a test.
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


class ServerDidNotStart(RuntimeError):
    """moto_server exited or did not answer in time."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/moto-api/")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Run ``python -m moto.server`` on a free local port and yield its endpoint URL."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while not _answers(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")
                    raise ServerDidNotStart(f"moto_server on port {port} did not start:\n{output}")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def use_fake_aws_environment(patch: pytest.MonkeyPatch) -> None:
    """Give boto3 dummy credentials and no profile, for as long as ``patch`` lasts."""
    for name, value in FAKE_AWS_ENVIRONMENT.items():
        patch.setenv(name, value)
    patch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The endpoint URL of a moto server shared by the session, with dummy AWS credentials set."""
    with pytest.MonkeyPatch.context() as patch:
        use_fake_aws_environment(patch)
        with moto_server() as endpoint:
            yield endpoint

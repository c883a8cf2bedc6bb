"""deploy/gunicorn.conf.py: settings from the environment, and an access log that keeps no secrets."""

import datetime
import runpy
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from gunicorn.config import Config

from tests.deploy.conftest import DEPLOY, gunicorn_settings

CONFIG = str(DEPLOY / "gunicorn.conf.py")


def test_defaults_suit_long_uploads_behind_nginx() -> None:
    settings = gunicorn_settings()
    assert settings["worker_class"] == "gthread"
    assert settings["bind"] == "127.0.0.1:8000"
    assert settings["timeout"] == 30
    assert settings["graceful_timeout"] == 900
    assert settings["keepalive"] == 75
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (1000, 100)
    assert settings["secure_scheme_headers"] == {"X-FORWARDED-PROTO": "https"}
    # Every name is one gunicorn knows: a misspelt setting would be ignored without a word.
    known = set(Config().settings)
    assert {name for name in settings if name.islower() and not name.startswith("_")} - known == {
        "env_int",
        "env_str",
        "glogging",
        "os",
        "re",
    }


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_THREADS", "3")
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:8000")
    settings = runpy.run_path(CONFIG)
    assert (settings["threads"], settings["bind"]) == (3, "0.0.0.0:8000")


def test_a_malformed_setting_stops_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_WORKERS", "many")
    with pytest.raises(ImproperlyConfigured, match="GUNICORN_WORKERS must be a whole number"):
        runpy.run_path(CONFIG)


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/password-reset/MTI/c8k2x1-5f0a6b7c8d9e0f1a2b3c/", "/password-reset/MTI/[redacted]/"),
        ("/reviews/12/", "/reviews/12/"),
    ],
)
def test_the_access_log_keeps_neither_reset_tokens_nor_query_strings(path: str, logged: str) -> None:
    settings = gunicorn_settings()
    config = Config()
    config.set("logger_class", settings["logger_class"])
    logger: Any = config.logger_class(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path + "?actor=someone@example.org",
        "PATH_INFO": path,
        "QUERY_STRING": "actor=someone@example.org",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[("X-Request-ID", "abc123")])
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, datetime.timedelta(milliseconds=5))

    line = str(settings["access_log_format"]) % atoms

    assert f'"GET {logged} HTTP/1.1" 200 10 5ms abc123' in line
    assert "someone@example.org" not in line

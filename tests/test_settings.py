"""Settings come only from the environment; production refuses unsafe configuration."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from dhr_tracker import checks
from dhr_tracker.environment import env_bool, env_int, env_list, env_secret, generated_secret

ROOT = Path(__file__).resolve().parent.parent


def run_manage(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    base["DHR_VAR_DIR"] = str(tmp_path / "var")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {
    "DHR_ENV": "production",
    "SECRET_KEY": "p" * 20 + "-unique-" + "q" * 30 + "-production-value",
    "FIELD_ENCRYPTION_KEYS": "2026-1=" + "A" * 43,
    "AUDIT_SIGNING_KEY": "B" * 43,
    "BLIND_INDEX_KEY": "C" * 43,
    "ALLOWED_HOSTS": "dhr.example.gov.uk",
    "DATABASE_URL": "postgres://app@db.internal:5432/dhr",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "EMAIL_HOST": "smtp.internal",
}


def test_check_deploy_is_clean_with_a_sensible_production_environment(tmp_path: Path) -> None:
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"SECRET_KEY": ""}, "SECRET_KEY (or SECRET_KEY_FILE) must be set"),
        ({"FIELD_ENCRYPTION_KEYS": ""}, "FIELD_ENCRYPTION_KEYS"),
        ({"AUDIT_SIGNING_KEY": ""}, "AUDIT_SIGNING_KEY (or AUDIT_SIGNING_KEY_FILE) must be set"),
        ({"DATABASE_URL": ""}, "DATABASE_URL must be set"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must be set"),
        ({"DEBUG": "perhaps"}, "DEBUG must be one of"),
    ],
)
def test_production_refuses_to_start_when_unsafe(tmp_path: Path, change: dict[str, str], message: str) -> None:
    result = run_manage(["check"], {**PRODUCTION, **change}, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_generates_no_keys(tmp_path: Path) -> None:
    run_manage(["check"], {**PRODUCTION, "SECRET_KEY": ""}, tmp_path)
    assert not (tmp_path / "var" / "secret_key").exists()


def test_embedded_default_generates_keys_once_and_says_so(tmp_path: Path) -> None:
    first = run_manage(["check"], {}, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Generated a new Django secret key" in first.stderr
    key_file = tmp_path / "var" / "secret_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    key = key_file.read_text()
    second = run_manage(["check"], {}, tmp_path)
    assert "Generated" not in second.stderr
    assert key_file.read_text() == key


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    run_manage(["check"], {}, tmp_path)
    (tmp_path / "var" / "secret_key").chmod(0o644)
    result = run_manage(["check"], {}, tmp_path)
    assert result.returncode != 0
    assert "dhr.E004" in result.stderr


def test_production_checks_flag_each_unsafe_setting(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.PRODUCTION = True
    settings.DEBUG = True
    settings.SECURE_HSTS_SECONDS = 60
    settings.SESSION_COOKIE_SECURE = False
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"]}}
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    ids = {message.id for message in checks.check_production_settings(None)}
    assert ids == {"dhr.E001", "dhr.E002", "dhr.E003", "dhr.E005", "dhr.E006", "dhr.E007", "dhr.W001"}


def test_csrf_middleware_must_stay_installed(settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("CsrfViewMiddleware")]
    assert [m.id for m in checks.check_csrf_middleware(None)] == ["dhr.E009"]


def test_csp_check_refuses_unsafe_sources(settings: Any) -> None:
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", "'unsafe-inline'"]}}
    assert [m.id for m in checks.check_content_security_policy(None)] == ["dhr.E008"]


@pytest.mark.parametrize("indicators", [["MARAC referral", "marac  REFERRAL"], ["Pregnancy", " "], ["Drugs; alcohol"]])
def test_risk_indicators_that_cannot_work_are_refused(settings: Any, indicators: list[str]) -> None:
    settings.CHRONOLOGY_RISK_INDICATORS = indicators
    assert [message.id for message in checks.check_risk_indicators(None)] == ["dhr.E010"]


def test_the_default_risk_indicators_pass(settings: Any) -> None:
    assert checks.check_risk_indicators(None) == []


def test_env_helpers_fail_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL", default=False)
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("X_INT", default=1)
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("X_INT", default=1, minimum=1)
    monkeypatch.setenv("X_LIST", " a, ,b ")
    assert env_list("X_LIST") == ["a", "b"]


def test_env_secret_reads_files_and_refuses_both(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret_file))
    assert env_secret("X_SECRET") == "from-a-file"
    monkeypatch.setenv("X_SECRET", "direct")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_secret("X_SECRET")
    monkeypatch.delenv("X_SECRET")
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("X_SECRET")


def test_generated_secret_is_private(tmp_path: Path) -> None:
    value = generated_secret(tmp_path / "k" / "key", nbytes=32, purpose="test key")
    assert len(value) >= 43
    assert (tmp_path / "k" / "key").stat().st_mode & 0o077 == 0
    assert generated_secret(tmp_path / "k" / "key", nbytes=32, purpose="test key") == value

"""The systemd units: valid to systemd itself, hardened, and fed their secrets only as credentials."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, PYTHON, gunicorn_settings, readable_by_app

UNITS = DEPLOY / "systemd"
SERVICES = ("dhr-web.service", "dhr-worker.service", "dhr-beat.service")
CREDENTIALS = {
    "secret_key": "SECRET_KEY_FILE",
    "field_encryption_keys": "FIELD_ENCRYPTION_KEYS_FILE",
    "blind_index_key": "BLIND_INDEX_KEY_FILE",
    "audit_signing_key": "AUDIT_SIGNING_KEY_FILE",
    "pgpass": "PGPASSFILE",
}
HARDENING = {
    "NoNewPrivileges": "yes",
    "CapabilityBoundingSet": "",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "UMask": "0077",
    "StateDirectory": "dhr-tracker",
    "User": "dhr",
    "EnvironmentFile": "/etc/dhr-tracker/env",
    "KillMode": "mixed",
}


def settings_of(unit: str) -> list[tuple[str, str]]:
    """The unit's Key=Value lines, in order, repeats kept (systemd allows many LoadCredential=)."""
    pairs = []
    for line in (UNITS / unit).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            name, value = line.split("=", 1)
            pairs.append((name, value))
    return pairs


def values(unit: str, key: str) -> list[str]:
    return [value for name, value in settings_of(unit) if name == key]


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (Debian's systemd package)"
    # Verified as installed, but with this checkout's Python in place of /opt/dhr-tracker's.
    units = (*SERVICES, "dhr-tracker.target", "dhr-backup.service", "dhr-backup.timer")
    for unit in units:
        text = (UNITS / unit).read_text(encoding="utf-8")
        (tmp_path / unit).write_text(text.replace("/opt/dhr-tracker/venv/bin/python", PYTHON), encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / unit) for unit in units)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("unit", SERVICES)
def test_every_service_is_hardened(unit: str) -> None:
    found = {name: value for name, value in settings_of(unit) if name in HARDENING}
    assert found == HARDENING
    assert "AF_PACKET" not in " ".join(values(unit, "RestrictAddressFamilies"))
    assert values(unit, "SystemCallFilter") == ["@system-service", "~@privileged @resources"]


@pytest.mark.parametrize("unit", SERVICES)
def test_secrets_arrive_only_as_credentials(unit: str) -> None:
    loaded = dict(value.split(":", 1) for value in values(unit, "LoadCredential"))
    assert loaded == {name: f"/etc/dhr-tracker/credentials/{name}" for name in CREDENTIALS}
    environment = dict(value.split("=", 1) for value in values(unit, "Environment"))
    assert environment == {variable: f"%d/{name}" for name, variable in CREDENTIALS.items()}
    assert set(environment) <= readable_by_app()


def test_stopping_lets_uploads_and_tasks_finish() -> None:
    graceful = int(str(gunicorn_settings()["graceful_timeout"]))
    assert int(values("dhr-web.service", "TimeoutStopSec")[0]) > graceful
    assert int(values("dhr-worker.service", "TimeoutStopSec")[0]) >= 600
    (web,) = values("dhr-web.service", "ExecStart")
    assert web.endswith("-m gunicorn --config /opt/dhr-tracker/app/deploy/gunicorn.conf.py dhr_tracker.wsgi")
    (worker,) = values("dhr-worker.service", "ExecStart")
    assert "--max-tasks-per-child" in worker
    (beat,) = values("dhr-beat.service", "ExecStart")
    assert " beat " in beat
    assert "--schedule /var/lib/dhr-tracker/" in beat, "beat's state must be writable under ProtectSystem=strict"


def test_dhr_manage_runs_commands_as_the_services_do() -> None:
    script = UNITS / "dhr-manage"
    assert subprocess.run(["sh", "-n", str(script)], capture_output=True, timeout=10).returncode == 0
    text = script.read_text(encoding="utf-8")
    loaded = set(re.findall(r"LoadCredential=(\w+):", text))
    given = dict(re.findall(r'--setenv=(\w+)="\$credentials/(\w+)"', text))
    assert loaded == set(CREDENTIALS)
    assert given == {variable: name for name, variable in CREDENTIALS.items()}
    assert "EnvironmentFile=/etc/dhr-tracker/env" in text
    # The owner's password only ever reaches a command run with --owner.
    assert "owner-pgpass" not in "".join(Path(UNITS / unit).read_text(encoding="utf-8") for unit in SERVICES)


def test_the_nightly_backup_is_encrypted_and_pruned() -> None:
    (backup,) = values("dhr-backup.service", "ExecStart")
    assert "/usr/local/sbin/dhr-manage backup --output" in backup
    assert "--passphrase-file /etc/dhr-tracker/backup-passphrase" in backup
    (prune,) = values("dhr-backup.service", "ExecStartPost")
    assert re.fullmatch(r'/usr/bin/find /var/backups/dhr-tracker -name "dhr-\*\.bak" -mtime \+\d+ -delete', prune)
    assert values("dhr-backup.timer", "Persistent") == ["true"]

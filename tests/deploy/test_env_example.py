"""The production .env example documents exactly what the app reads, and a copy of it passes check --deploy."""

import re
import subprocess
from pathlib import Path

from tests.deploy.conftest import (
    ENV_EXAMPLE,
    PYTHON,
    READ_BY_LIBRARIES,
    REPO,
    example_assignments,
    variables_read,
)

SECRETS = {
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "BLIND_INDEX_KEY",
    "AUDIT_SIGNING_KEY",
    "EMAIL_HOST_PASSWORD",
    "AWS_SECRET_ACCESS_KEY",
}


def test_every_variable_the_code_reads_is_documented_and_nothing_else() -> None:
    read = variables_read()
    documented = set(example_assignments())

    undocumented = {name: where for name, where in read.items() if name not in documented}
    unread = documented - set(read) - set(READ_BY_LIBRARIES)
    assert undocumented == {}, "add these to deploy/env.production.example"
    assert unread == set(), "nothing reads these any more: remove them from deploy/env.production.example"


def test_the_scan_finds_settings_read_in_every_way() -> None:
    """The comparison above is only as good as the scan: it must see each way of reading."""
    read = variables_read()
    assert read["SECRET_KEY"] == read["SECRET_KEY_FILE"] == "dhr_tracker/settings.py"  # env_secret
    assert read["CELERY_VISIBILITY_TIMEOUT"] == "dhr_tracker/settings.py"  # env_int inside a dict
    assert read["GUNICORN_THREADS"] == "deploy/gunicorn.conf.py"
    assert "DJANGO_SETTINGS_MODULE" not in read  # set with setdefault, never read


def test_each_variable_says_what_it_means_and_its_default() -> None:
    blocks = ENV_EXAMPLE.read_text(encoding="utf-8").split("\n\n")
    explained: dict[str, str] = {}
    for block in blocks:
        heading = re.match(r"# ([A-Z][A-Z0-9_]*(?:(?:, | / )[A-Z][A-Z0-9_]*)*): ", block)
        if heading:
            for name in re.split(r", | / ", heading[1]):
                explained[name] = block
    missing = sorted(name for name in example_assignments() if name not in explained)
    without_default = sorted(name for name, block in explained.items() if "Default" not in block)
    assert (missing, without_default) == ([], [])


def test_no_secret_has_a_value_in_the_example() -> None:
    assignments = example_assignments()
    for name in SECRETS:
        value, active = assignments[name]
        assert not active, f"{name} must not be set in the example"
        assert re.fullmatch(r"(\S*=)?<[^>]+>", value), f"{name}'s example must be a <placeholder>, not a value"
    database_url, _ = assignments["DATABASE_URL"]
    assert re.match(r"postgres://[^:@/]+@", database_url), "the example DATABASE_URL must hold no password"


def test_the_example_filled_in_with_secrets_passes_check_deploy(tmp_path: Path) -> None:
    settings = {name: value for name, (value, active) in example_assignments().items() if active}
    settings.update(
        {
            # What an operator adds from the secret store; throwaway values of the right form.
            "SECRET_KEY": "t" * 30 + "-throwaway-test-secret-key-" + "u" * 20,
            "FIELD_ENCRYPTION_KEYS": "2026-01=" + "A" * 43,
            "BLIND_INDEX_KEY": "C" * 43,
            "AUDIT_SIGNING_KEY": "B" * 43,
            # Paths of the host, moved somewhere this test may write.
            "DHR_VAR_DIR": str(tmp_path / "var"),
        }
    )
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    result = subprocess.run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env={**base, **settings},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout

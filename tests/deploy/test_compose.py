"""The Compose file, read as Compose would: it cannot be run here (no container engine), so it is checked."""

import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import DEPLOY, INTERPOLATION, REPO, SECRET_NAME, gunicorn_settings, readable_by_app

COMPOSE_FILE = DEPLOY / "compose.yaml"
COMPOSE_TEXT = COMPOSE_FILE.read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = {name for name, service in SERVICES.items() if "build" in service}
ONE_SHOT = {name for name, service in SERVICES.items() if service.get("restart") == "no"}


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in (service.get("environment") or {}).items()}


def test_every_part_is_there() -> None:
    assert set(SERVICES) == {
        "postgres",
        "redis",
        "objects",
        "objects-init",
        "migrate",
        "web",
        "worker",
        "beat",
        "nginx",
    }
    assert sorted(APP_SERVICES) == ["beat", "migrate", "objects-init", "web", "worker"]


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_containers_are_given_only_settings_the_app_reads(name: str) -> None:
    unknown = set(environment(SERVICES[name])) - readable_by_app()
    assert unknown == set(), "not read by the app: a typo, or a setting that no longer exists"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_secret_is_written_in_the_file(name: str) -> None:
    for key, value in environment(SERVICES[name]).items():
        if SECRET_NAME.search(key):
            assert INTERPOLATION.fullmatch(value), f"{name}: {key} must come from deploy/.env"
        for password in re.findall(r"://[^:/@]+:([^@]*)@", value):
            assert INTERPOLATION.fullmatch(password), f"{name}: the password in {key} must come from deploy/.env"


def test_nothing_that_looks_like_a_key_is_in_the_file() -> None:
    literals = re.sub(INTERPOLATION, "", COMPOSE_TEXT)
    # Random keys mix digits and capitals over many characters; names and paths do not.
    assert re.findall(r"(?=[\w=+-]*\d)(?=[\w=+-]*[A-Z])[\w=+-]{32,}", literals) == []
    assert re.findall(r"\b[0-9a-f]{20,}\b", literals) == []


def test_every_interpolated_variable_is_in_the_env_example_and_nothing_else() -> None:
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_TEXT))
    example = (DEPLOY / "compose.env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert used == documented


def test_start_up_order_is_sound() -> None:
    graph: dict[str, set[str]] = {}
    for name, service in SERVICES.items():
        depends: dict[str, Any] = service.get("depends_on") or {}
        graph[name] = set(depends)
        for target, rule in depends.items():
            assert target in SERVICES, f"{name} depends on a service that does not exist: {target}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[target], f"{name} waits for {target} to be healthy; it has no check"
            if rule["condition"] == "service_completed_successfully":
                assert target in ONE_SHOT, f"{name} waits for {target} to finish; it never does"
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as cycle:
        pytest.fail(f"services wait for each other: {cycle.args[1]}")
    # The app starts only once the tables exist and the app's role has its grants.
    for name in APP_SERVICES - ONE_SHOT:
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_long_running_services_have_health_checks() -> None:
    # Beat has nothing to ask: it only queues tasks on its clock.
    unchecked = {name for name, service in SERVICES.items() if "healthcheck" not in service} - ONE_SHOT
    assert unchecked == {"beat"}


def test_migrations_run_as_the_owner_and_then_grant_the_app_role() -> None:
    migrate = SERVICES["migrate"]
    assert environment(migrate)["DATABASE_URL"].startswith("postgres://dhr_owner:")
    assert migrate["command"][-1] == "python manage.py migrate --noinput && python manage.py grant_app_role dhr_app"
    for name in APP_SERVICES - ONE_SHOT:
        assert environment(SERVICES[name])["DATABASE_URL"].startswith("postgres://dhr_app:"), name
    roles = SERVICES["postgres"]["volumes"]
    assert "./postgres/roles.sql:/docker-entrypoint-initdb.d/10-roles.sql:ro" in roles


def test_volumes_are_named_and_bind_mounts_exist() -> None:
    declared = set(COMPOSE["volumes"])
    for name, service in SERVICES.items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which is not in deploy/"
            elif not source.startswith("${"):
                assert source in declared, f"{name} mounts an undeclared volume {source}"
    # Web and worker share the spool (and the keyring): the same named volume.
    assert "state:/var/lib/dhr-tracker" in SERVICES["web"]["volumes"]
    assert "state:/var/lib/dhr-tracker" in SERVICES["worker"]["volumes"]


def test_only_nginx_is_reachable_from_outside() -> None:
    assert {name for name, service in SERVICES.items() if "ports" in service} == {"nginx"}


def test_app_containers_are_locked_down() -> None:
    for name in APP_SERVICES:
        service = SERVICES[name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


def test_stopping_lets_work_in_progress_finish() -> None:
    def seconds(value: str) -> int:
        return int(value.removesuffix("s"))

    assert seconds(SERVICES["web"]["stop_grace_period"]) > int(str(gunicorn_settings()["graceful_timeout"]))
    assert seconds(SERVICES["nginx"]["stop_grace_period"]) >= seconds(SERVICES["web"]["stop_grace_period"])
    assert seconds(SERVICES["worker"]["stop_grace_period"]) >= 600


def test_there_is_exactly_one_beat() -> None:
    beats = [name for name, service in SERVICES.items() if "beat" in " ".join(map(str, service.get("command", [])))]
    assert beats == ["beat"]
    assert "deploy" not in SERVICES["beat"]  # no replicas setting to raise


def test_the_image_copies_what_exists_and_runs_unprivileged() -> None:
    containerfile = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", containerfile, re.MULTILINE):
        for path in source.split():
            assert (REPO / path).exists(), f"the Containerfile copies {path}, which does not exist"
    assert re.search(r"^USER 10001:10001$", containerfile, re.MULTILINE)
    image_settings = set(re.findall(r"^(?:ENV |    )([A-Z][A-Z0-9_]*)=", containerfile, re.MULTILINE))
    python_settings = {
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "PIP_NO_CACHE_DIR",
        "PIP_DISABLE_PIP_VERSION_CHECK",
    }
    assert image_settings - python_settings <= readable_by_app()


def test_the_compose_file_names_files_that_exist() -> None:
    assert (DEPLOY / COMPOSE["x-app"]["build"]["dockerfile"].removeprefix("deploy/")).exists()
    assert Path(DEPLOY / COMPOSE["x-app"]["build"]["context"]).resolve() == REPO

"""The Kubernetes manifests, checked as the API server and kubectl would (no cluster here)."""

import re
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import DEPLOY, REPO, SECRET_NAME, gunicorn_settings, readable_by_app

MANIFESTS = DEPLOY / "kubernetes"
FILES = sorted(MANIFESTS.glob("*.yaml"))
DOCUMENTS: list[tuple[str, dict[str, Any]]] = [
    (path.name, document) for path in FILES for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
]
OBJECTS = [(file, obj) for file, obj in DOCUMENTS if obj["kind"] != "Kustomization"]
APP_IMAGES = {"dhr-tracker", "registry.example.org/dhr-tracker:2026.01"}


def kind(name: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for _, obj in OBJECTS if obj["kind"] == name}


DEPLOYMENTS = kind("Deployment")
JOBS = kind("Job")
WORKLOADS = {**DEPLOYMENTS, **JOBS}
CONFIG = kind("ConfigMap")["dhr-config"]["data"]


def pod(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = WORKLOADS[name]["spec"]["template"]["spec"]
    return spec


def app_containers() -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, container)
        for name in WORKLOADS
        for container in pod(name)["containers"]
        if container["image"] in APP_IMAGES
    ]


def test_nothing_names_a_namespace() -> None:
    assert [(file, obj["metadata"]["name"]) for file, obj in OBJECTS if "namespace" in obj["metadata"]] == []


def test_kustomization_applies_everything_but_the_secret_example_and_the_job() -> None:
    (kustomization,) = [obj for _, obj in DOCUMENTS if obj["kind"] == "Kustomization"]
    listed = set(kustomization["resources"])
    assert listed == {path.name for path in FILES} - {"kustomization.yaml", "secret.example.yaml", "migrate-job.yaml"}
    assert [image["name"] for image in kustomization["images"]] == ["dhr-tracker"]


def test_the_parts_are_all_there() -> None:
    assert set(DEPLOYMENTS) == {"dhr-web", "dhr-worker", "dhr-beat", "dhr-nginx"}
    assert set(JOBS) == {"dhr-migrate"}
    assert {(obj["apiVersion"], name) for name, obj in kind("HorizontalPodAutoscaler").items()} == {
        ("autoscaling/v2", "dhr-web"),
        ("autoscaling/v2", "dhr-worker"),
    }


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_every_pod_runs_unprivileged_on_a_read_only_root(name: str) -> None:
    spec = pod(name)
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    declared = {volume["name"] for volume in spec.get("volumes", [])}
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert container["resources"]["requests"].keys() == {"cpu", "memory"}
        assert "memory" in container["resources"]["limits"]
        assert {mount["name"] for mount in container.get("volumeMounts", [])} <= declared


@pytest.mark.parametrize(("name", "container"), app_containers(), ids=[name for name, _ in app_containers()])
def test_app_pods_get_settings_from_the_config_map_and_the_secret(name: str, container: dict[str, Any]) -> None:
    assert container["envFrom"] == [{"configMapRef": {"name": "dhr-config"}}, {"secretRef": {"name": "dhr-secrets"}}]
    for variable in container.get("env", []):
        assert variable["name"] in readable_by_app()
        assert "value" not in variable or not SECRET_NAME.search(variable["name"]), "secrets come from a Secret"


def test_the_config_map_holds_settings_the_app_reads_and_no_secret() -> None:
    assert set(CONFIG) <= readable_by_app()
    assert [name for name in CONFIG if SECRET_NAME.search(name)] == []
    assert all(isinstance(value, str) for value in CONFIG.values()), "ConfigMap values must be strings"


def test_the_secret_example_shows_the_shape_and_holds_no_secret() -> None:
    secrets = kind("Secret")
    assert set(secrets) == {"dhr-secrets", "dhr-owner-database"}
    assert set(secrets["dhr-secrets"]["stringData"]) <= readable_by_app()
    for secret in secrets.values():
        for name, value in secret["stringData"].items():
            assert re.search(r"<[^>]+>", value), f"{name} must be a <placeholder>"


def test_web_is_ready_only_with_its_database_and_alive_without_it() -> None:
    (web,) = pod("dhr-web")["containers"]
    ready = web["readinessProbe"]["httpGet"]
    assert ready["path"] == "/health/"
    headers = {header["name"]: header["value"] for header in ready["httpHeaders"]}
    assert headers == {"Host": CONFIG["ALLOWED_HOSTS"].split(",")[0], "X-Forwarded-Proto": "https"}
    assert "tcpSocket" in web["livenessProbe"]


def test_pods_are_given_time_to_finish_transfers_and_tasks() -> None:
    (web,) = pod("dhr-web")["containers"]
    pause = int(web["lifecycle"]["preStop"]["exec"]["command"][-1])
    graceful = int(str(gunicorn_settings()["graceful_timeout"]))
    assert pod("dhr-web")["terminationGracePeriodSeconds"] >= pause + graceful
    assert pod("dhr-nginx")["terminationGracePeriodSeconds"] >= pod("dhr-web")["terminationGracePeriodSeconds"]
    assert pod("dhr-worker")["terminationGracePeriodSeconds"] >= 600
    (worker,) = pod("dhr-worker")["containers"]
    assert "--max-tasks-per-child" in worker["command"]


def test_there_is_exactly_one_beat_and_never_two_at_once() -> None:
    beat = DEPLOYMENTS["dhr-beat"]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}
    targets = [obj["spec"]["scaleTargetRef"]["name"] for obj in kind("HorizontalPodAutoscaler").values()]
    assert "dhr-beat" not in targets
    beats = [name for name, _ in app_containers() if "beat" in " ".join(_command(name))]
    assert beats == ["dhr-beat"]


def _command(name: str) -> list[str]:
    return [part for container in pod(name)["containers"] for part in container.get("command", [])]


def test_autoscalers_scale_deployments_that_exist_and_never_below_two() -> None:
    for name, autoscaler in kind("HorizontalPodAutoscaler").items():
        target = autoscaler["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert target["name"] in DEPLOYMENTS
        assert "replicas" not in DEPLOYMENTS[name]["spec"], "the autoscaler owns the count"
        assert autoscaler["spec"]["minReplicas"] >= 2


def labels_of(name: str) -> dict[str, str]:
    labels: dict[str, str] = WORKLOADS[name]["spec"]["template"]["metadata"]["labels"]
    return labels


def selected(selector: dict[str, str]) -> list[str]:
    return [name for name in DEPLOYMENTS if selector.items() <= labels_of(name).items()]


def test_disruption_budgets_and_services_select_one_deployment_each() -> None:
    for name, budget in kind("PodDisruptionBudget").items():
        assert selected(budget["spec"]["selector"]["matchLabels"]) == [name]
        assert budget["spec"]["maxUnavailable"] == 1
    for name, service in kind("Service").items():
        assert selected(service["spec"]["selector"]) == [name]
        (container,) = pod(name)["containers"]
        ports = {port["name"] for port in container["ports"]}
        assert {port["targetPort"] for port in service["spec"]["ports"]} <= ports
    for name, deployment in DEPLOYMENTS.items():
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels_of(name).items()


def test_only_nginx_reaches_the_web_pods_and_nothing_the_workers() -> None:
    policies = kind("NetworkPolicy")
    web = policies["dhr-web"]["spec"]
    assert selected(web["podSelector"]["matchLabels"]) == ["dhr-web"]
    (rule,) = web["ingress"]
    (source,) = rule["from"]
    assert selected(source["podSelector"]["matchLabels"]) == ["dhr-nginx"]
    closed = policies["dhr-no-ingress"]["spec"]
    assert "ingress" not in closed
    assert closed["policyTypes"] == ["Ingress"]


def test_the_shared_state_is_one_read_write_many_claim() -> None:
    (claim,) = kind("PersistentVolumeClaim").values()
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for name in ("dhr-web", "dhr-worker"):
        claims = [v["persistentVolumeClaim"]["claimName"] for v in pod(name)["volumes"] if "persistentVolumeClaim" in v]
        assert claims == [claim["metadata"]["name"]]
    assert CONFIG["SHARING_SPOOL_DIR"].startswith("/var/lib/dhr-tracker/")
    assert CONFIG["SHARING_KEYRING_FILE"].startswith("/var/lib/dhr-tracker/")


def test_migrations_run_as_the_owner_then_grant_the_app_role() -> None:
    (migrate,) = pod("dhr-migrate")["containers"]
    assert migrate["command"][-1] == "python manage.py migrate --noinput && python manage.py grant_app_role dhr_app"
    (database,) = migrate["env"]
    assert database == {
        "name": "DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": "dhr-owner-database", "key": "DATABASE_URL"}},
    }
    assert JOBS["dhr-migrate"]["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_nginx_runs_the_deployed_configuration() -> None:
    text = (MANIFESTS / "nginx.yaml").read_text(encoding="utf-8")
    for source in re.findall(r"--from-file=\S+=(deploy/\S+)", text):
        assert (REPO / source).exists(), source
    volumes = {volume["name"]: volume for volume in pod("dhr-nginx")["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "dhr-nginx"
    assert {item["path"] for item in volumes["tls"]["secret"]["items"]} == {"fullchain.pem", "privkey.pem"}

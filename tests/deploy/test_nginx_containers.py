"""The nginx containers of Compose and Kubernetes render deploy/nginx's configuration into one nginx accepts."""

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import DEPLOY, NGINX_SITE
from tests.deploy.nginx_helpers import NGINX, main_config, self_signed_certificate
from tests.sharing.kms_server import free_port


def container_commands() -> dict[str, tuple[str, str]]:
    """How the Compose and Kubernetes nginx containers render the site: the shell command, and its input."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))["services"]["nginx"]
    (kubernetes,) = [
        document
        for document in yaml.safe_load_all((DEPLOY / "kubernetes" / "nginx.yaml").read_text(encoding="utf-8"))
        if document["kind"] == "Deployment"
    ]
    (container,) = kubernetes["spec"]["template"]["spec"]["containers"]
    return {
        # Compose's own "$$" stands for one "$" in the shell.
        "compose": (compose["command"][-1].replace("$$", "$"), "/etc/dhr-tracker/dhr-tracker.conf"),
        "kubernetes": (container["command"][-1], "/etc/dhr-tracker/nginx/dhr-tracker.conf"),
    }


@pytest.mark.parametrize("platform", ["compose", "kubernetes"])
def test_the_containers_render_a_configuration_nginx_accepts(tmp_path: Path, platform: str) -> None:
    command, source = container_commands()[platform]
    rendering = command.split(" > ")[0].replace(source, str(NGINX_SITE))
    result = subprocess.run(
        ["sh", "-c", rendering],
        env={"PATH": "/usr/bin:/bin", "DHR_HOSTNAME": "dhr.test"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    site = result.stdout
    assert "dhr.example.org" not in site
    assert "server_name dhr.test;" in site
    assert "access_log /dev/stdout dhr_tracker;" in site
    self_signed_certificate(tmp_path)
    # The certificate where the test made it; the upstream on loopback (nginx -t resolves names).
    (tmp_path / "site.conf").write_text(site.replace("/etc/ssl/dhr-tracker/", f"{tmp_path}/"), encoding="utf-8")
    upstream = f"upstream dhr_tracker {{ server 127.0.0.1:{free_port()}; keepalive 16; }}\n"
    (tmp_path / "upstream.conf").write_text(upstream, encoding="utf-8")
    main = main_config(tmp_path, [tmp_path / "upstream.conf", tmp_path / "site.conf"])

    check = subprocess.run([NGINX, "-t", "-p", f"{tmp_path}/", "-c", str(main)], capture_output=True, text=True)

    assert check.returncode == 0, check.stderr

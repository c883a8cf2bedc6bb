"""Running Debian's nginx in the deployment tests: certificates, ports, a minimal main configuration."""

import datetime
import os
import shutil
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NAME = "localhost"


def self_signed_certificate(folder: Path) -> Path:
    """A throwaway certificate and key for NAME, written as fullchain.pem and privkey.pem."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "fullchain.pem"


def render(text: str, replacements: list[tuple[str, str, int]]) -> str:
    """Apply each (old, new, expected count) replacement, failing if the deployed file no longer has it."""
    for old, new, count in replacements:
        assert text.count(old) == count, f"expected {count} of {old!r} in the deployed nginx configuration"
        text = text.replace(old, new)
    return text


def main_config(folder: Path, includes: list[Path]) -> Path:
    """Debian's nginx.conf reduced to what the site needs, every temporary folder under ``folder``."""
    temp = folder / "temp"
    temp.mkdir(exist_ok=True)
    main = folder / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"""worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {temp}/client_body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
"""
        + "".join(f"    include {path};\n" for path in includes)
        + "}\n",
        encoding="utf-8",
    )
    return main

"""Debian's nginx running ``deploy/nginx/credit-platform.conf`` in front of test servers,
on loopback.

The production example itself is used, with only what a test must change substituted:
the two upstream ports (one test server may stand for both), the listening addresses
(127.0.0.1 and free ports, never beyond loopback), the static directory (this checkout's)
and a test certificate made here. A substitution that no longer matches the
file fails loudly, so the example and its test cannot drift apart.

Run as root, the workers run as ``nobody`` (nginx's usual split); the files live in a
temporary directory they can read, removed on ``stop``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.server import ROOT, free_port

SITE = ROOT / "deploy" / "nginx" / "credit-platform.conf"
STATIC = ROOT / "api" / "pages" / "static"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (its own CA, so a client can
    verify against it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "credit-platform test")])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def render_site(
    upstream_ports: Sequence[int], http_port: int, https_port: int, cert: Path, key: Path
) -> str:
    """``deploy/nginx/credit-platform.conf`` with the test's ports, loopback addresses,
    static directory and certificate. One upstream port stands for both instances."""
    first, second = (upstream_ports[0], upstream_ports[-1])
    text = SITE.read_text()
    substitutions = {
        "server 127.0.0.1:8000 ": f"server 127.0.0.1:{first} ",
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{second} ",
        "/opt/credit-platform/api/pages/static/": f"{STATIC}/",
        "    listen 80;\n    listen [::]:80;\n": f"    listen 127.0.0.1:{http_port};\n",
        "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n": (
            f"    listen 127.0.0.1:{https_port} ssl http2;\n"
        ),
        "/etc/ssl/credit-platform/fullchain.pem": str(cert),
        "/etc/ssl/credit-platform/privkey.pem": str(key),
    }
    for old, new in substitutions.items():
        if text.count(old) != 1:
            raise AssertionError(f"{SITE.name} no longer contains {old!r} once")
        text = text.replace(old, new)
    listens = [line.split() for line in text.splitlines() if line.strip().startswith("listen")]
    assert listens and all(words[1].startswith("127.0.0.1:") for words in listens), listens
    return text


class NginxProxy:
    """``nginx -c <generated main config>`` including the rendered site; ``url`` (https)
    and ``http_url`` once started."""

    def __init__(self, nginx: str, upstream_ports: int | Sequence[int]) -> None:
        self.nginx = nginx
        ports = [upstream_ports] if isinstance(upstream_ports, int) else list(upstream_ports)
        assert 1 <= len(ports) <= 2, ports
        self.upstream_ports = ports
        self.https_port = free_port()
        self.http_port = free_port()
        self.url = f"https://127.0.0.1:{self.https_port}"
        self.http_url = f"http://127.0.0.1:{self.http_port}"
        self.dir: Path | None = None
        self.cert: Path | None = None
        self.proc: subprocess.Popen | None = None
        self._stderr = None

    def start(self, timeout: float = 20) -> NginxProxy:
        self.dir = Path(tempfile.mkdtemp(prefix="credit-nginx-"))
        self.dir.chmod(0o755)  # the workers (nobody, under root) create temp files here
        self.cert, key = make_certificate(self.dir)
        site = render_site(self.upstream_ports, self.http_port, self.https_port, self.cert, key)
        (self.dir / "site.conf").write_text(site)
        d = self.dir
        user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
        (d / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\n"
            f"error_log {d}/error.log info;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            "    log_format upstreams '$request_method $uri $status "
            "upstream=$upstream_addr upstream_status=$upstream_status id=$request_id';\n"
            f"    access_log {d}/access.log upstreams;\n"
            f"    client_body_temp_path {d}/client_body;\n"
            f"    proxy_temp_path {d}/proxy;\n"
            f"    fastcgi_temp_path {d}/fastcgi;\n"
            f"    uwsgi_temp_path {d}/uwsgi;\n"
            f"    scgi_temp_path {d}/scgi;\n"
            f"    include {d}/site.conf;\n"
            "}\n"
        )
        self._stderr = open(d / "stderr.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [self.nginx, "-p", str(d), "-e", str(d / "error.log"), "-c", str(d / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}:\n{self.errors()}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not listen within {timeout}s:\n{self.errors()}")

    def access_lines(self) -> list[str]:
        """nginx's access log so far: method, path, status, the instance(s) tried
        (``upstream=127.0.0.1:P1, 127.0.0.1:P2`` after a failover), their statuses and
        nginx's request id (``id=``)."""
        path = self.dir / "access.log" if self.dir is not None else None
        return path.read_text(errors="replace").splitlines() if path and path.exists() else []

    def errors(self) -> str:
        if self.dir is None:
            return ""
        return "\n".join(
            p.read_text(errors="replace")[-3000:]
            for p in (self.dir / "stderr.log", self.dir / "error.log")
            if p.exists()
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

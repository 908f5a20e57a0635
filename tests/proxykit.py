"""Debian's nginx in front of `savepets serve` replicas for tests: TLS on loopback with a self-signed certificate
made here, the replicas as one upstream, X-Forwarded-For and X-Forwarded-Proto set (the README's configuration).

nginx runs as a child process in the foreground (`daemon off`), with its configuration, pid file, error log and
temporary folders in a folder of the test's own. Outside CI a machine without nginx skips the test; in CI
(CI=true) it is installed with apt-get if missing, and a failure to do so fails the test.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import httpx

from tests.serverkit import free_port

NGINX = "/usr/sbin/nginx"

CONFIG = """\
{user}worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 25m;
    client_body_buffer_size 25m;   # bodies kept in memory (5 photos), not in the temporary folder

    upstream savepets {{
{servers}
    }}
    server {{
        listen {listen} ssl;
        server_name localhost;
        ssl_certificate {dir}/cert.pem;
        ssl_certificate_key {dir}/key.pem;
        location / {{
            proxy_pass http://savepets;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 300s;
        }}
    }}
    server {{                      # plain http beside it: what a client that skipped TLS would reach
        listen {plain};
        location / {{
            proxy_pass http://savepets;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def nginx_or_skip() -> str:
    """The nginx binary: installed in CI if missing (fails there if it cannot be), else the test is skipped."""
    import pytest

    found = shutil.which("nginx") or (NGINX if Path(NGINX).exists() else None)
    if found:
        return found
    if not os.environ.get("CI"):
        pytest.skip("nginx is not installed (apt-get install nginx); CI installs it and runs this test")
    proc = subprocess.run(["apt-get", "install", "-y", "nginx"], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:  # a fresh CI image may have no package lists yet
        subprocess.run(["apt-get", "update"], capture_output=True, timeout=600)
        proc = subprocess.run(["apt-get", "install", "-y", "nginx"], capture_output=True, text=True, timeout=600)
    found = shutil.which("nginx") or (NGINX if Path(NGINX).exists() else None)
    if proc.returncode != 0 or not found:
        pytest.fail(f"CI: nginx is needed and could not be installed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return found


def self_signed(folder: Path, hosts: list[str]) -> Path:
    """cert.pem and key.pem in `folder` for these host names and addresses; returns the certificate's path."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for h in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            names.append(x509.DNSName(h))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "savepets test proxy")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "cert.pem"


def outside_address() -> str | None:
    """This machine's address on a network (not loopback), or None: a client from there is not on this machine."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.254", 9))  # no packet is sent: only picks the interface a route would use
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if ipaddress.ip_address(addr).is_loopback else addr


class Nginx:
    """nginx terminating TLS on 127.0.0.1 (and `extra_hosts`) in front of the given upstream ports."""

    def __init__(self, folder: Path, upstreams: list[int], extra_hosts: tuple[str, ...] = ()):
        self.binary = nginx_or_skip()
        self.dir = Path(folder)
        self.dir.mkdir(parents=True, exist_ok=True)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / sub).mkdir(exist_ok=True)
        self.port, self.plain_port = free_port(), free_port()
        hosts = ["127.0.0.1", *extra_hosts]
        self.cert = self_signed(self.dir, ["localhost", *hosts])
        listen = " ssl;\n        listen ".join(f"{h}:{self.port}" for h in hosts)
        plain = ";\n        listen ".join(f"{h}:{self.plain_port}" for h in hosts)
        # as root, nginx's workers would run as nobody and could not reach the test's private folder
        user = "user root root;\n" if os.geteuid() == 0 else ""
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;" for p in upstreams)
        (self.dir / "nginx.conf").write_text(CONFIG.format(user=user, dir=self.dir, servers=servers, listen=listen,
                                                           plain=plain))
        self.url = f"https://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> Nginx:
        cmd = [self.binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-e", str(self.dir / "error.log")]
        test = subprocess.run([*cmd, "-t"], capture_output=True, text=True)
        assert test.returncode == 0, f"nginx refuses the configuration:\n{test.stderr}"
        self._out = open(self.dir / "stdout.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/v1/health", verify=self.tls(), timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx not answering in {timeout} s:\n{self.log()}")

    def tls(self) -> ssl.SSLContext:
        """A client's TLS settings that trust this proxy's certificate only."""
        return ssl.create_default_context(cafile=str(self.cert))

    def log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self, key: str | None = None, timeout: float = 120, local_address: str | None = None,
               host: str = "127.0.0.1") -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        transport = httpx.HTTPTransport(verify=self.tls(), local_address=local_address)
        return httpx.Client(base_url=f"https://{host}:{self.port}", headers=headers, timeout=timeout,
                            transport=transport)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_out", None):
            self._out.close()

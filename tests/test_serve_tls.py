"""`savepets serve` never puts owners' data on a network in clear text: a non-loopback address needs TLS
(--ssl-certfile/--ssl-keyfile) or an explicit --insecure. Real server processes, a self-signed certificate made here."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sync.server.app import is_loopback, tls_problem
from tests.sync_harness import REPO, free_port


def self_signed(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "savepets test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    keyfile.chmod(0o600)
    return certfile, keyfile


def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("SAVEPETS_")}
    e.update({"SAVEPETS_CONFIG": str(REPO / "tests" / "no-such-config.toml"), "SAVEPETS_ENGINE": "standin",
              "SAVEPETS_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"})
    return e


def serve(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kiosk.cli", "serve", *args], cwd=REPO, env=env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def refused(tmp_path: Path, *args: str) -> tuple[int, str]:
    proc = serve(tmp_path, *args)
    output, _ = proc.communicate(timeout=60)
    return proc.returncode, " ".join(output.split())


def wait_until(proc: subprocess.Popen, probe, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            if probe():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not answer in time")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def test_loopback_rule():
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.0.10", "10.0.0.1", "no-such-host.invalid"):
        assert not is_loopback(host), host
    assert tls_problem("127.0.0.1", None, None) is None
    assert "without TLS" in tls_problem("0.0.0.0", None, None)
    assert tls_problem("0.0.0.0", None, None, insecure=True) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_non_loopback_without_tls_is_refused(tmp_path, host):
    code, text = refused(tmp_path, "--host", host, "--port", str(free_port()))
    assert code == 2, text
    assert f"Refusing to listen on {host} without TLS" in text and "--ssl-certfile" in text and "--insecure" in text
    assert not (tmp_path / "data").exists()  # refused before anything was opened


def test_half_or_broken_tls_is_refused(tmp_path):
    certfile, keyfile = self_signed(tmp_path / "tls")
    code, text = refused(tmp_path, "--host", "0.0.0.0", "--port", str(free_port()), "--ssl-certfile", str(certfile))
    assert code == 2 and "both --ssl-certfile and --ssl-keyfile" in text, text
    code, text = refused(tmp_path, "--host", "0.0.0.0", "--ssl-certfile", str(certfile),
                         "--ssl-keyfile", str(tmp_path / "missing.pem"))
    assert code == 2 and "does not exist" in text, text
    other_cert, other_key = self_signed(tmp_path / "other")
    code, text = refused(tmp_path, "--host", "0.0.0.0", "--ssl-certfile", str(certfile), "--ssl-keyfile",
                         str(other_key))
    assert code == 2 and "do not load as a PEM pair" in text, text
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    code, text = refused(tmp_path, "--host", "0.0.0.0", "--ssl-certfile", str(garbage), "--ssl-keyfile",
                         str(keyfile))
    assert code == 2 and "do not load as a PEM pair" in text, text


def test_tls_serve_answers_over_https_only(tmp_path):
    certfile, keyfile = self_signed(tmp_path / "tls")
    port = free_port()
    proc = serve(tmp_path, "--host", "127.0.0.1", "--port", str(port), "--ssl-certfile", str(certfile),
                 "--ssl-keyfile", str(keyfile))
    trusted = ssl.create_default_context(cafile=str(certfile))
    try:
        wait_until(proc, lambda: httpx.get(f"https://127.0.0.1:{port}/v1/health", verify=trusted,
                                           timeout=2).status_code == 200)
        r = httpx.get(f"https://127.0.0.1:{port}/v1/ready", verify=trusted, timeout=10)
        assert r.status_code == 200 and r.json()["ready"] is True
        with pytest.raises(httpx.HTTPError):  # no clear-text answer on the same port
            httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5)
        with pytest.raises(httpx.ConnectError):  # a client that does not trust the certificate refuses it
            httpx.get(f"https://127.0.0.1:{port}/v1/health", timeout=5)
    finally:
        stop(proc)


def test_insecure_says_so_and_serves(tmp_path):
    port = free_port()
    proc = serve(tmp_path, "--host", "0.0.0.0", "--port", str(port), "--insecure")
    try:
        wait_until(proc, lambda: httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200)
    finally:
        stop(proc)
    assert "without TLS (--insecure)" in " ".join(proc.stdout.read().split())

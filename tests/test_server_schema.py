"""Property-based run of schemathesis over the live server's OpenAPI schema: no request makes a 5xx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.serverkit import Server


def test_schemathesis_finds_no_server_error(tmp_path):
    st = Path(sys.executable).with_name("st")
    if not st.exists():
        pytest.skip("schemathesis is not installed (pip install -e .[test])")
    srv = Server(f"sqlite:///{tmp_path / 'r.sqlite3'}", tmp_path / "data").start()
    try:
        key = srv.key("admin")
        run = subprocess.run(
            [str(st), "run", f"{srv.url}/openapi.json", "--checks", "not_a_server_error", "--max-examples", "20",
             "--seed", "20261126", "--request-timeout", "30", "--no-color", "--header", f"Authorization: Bearer {key}",
             "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:] + srv.log()[-4000:]
        assert "generated" in run.stdout
        assert "Traceback" not in srv.log(), srv.log()[-4000:]
    finally:
        srv.stop()

"""The kiosk's settings page writes here: the TOML config file that core.settings.Settings reads."""

from __future__ import annotations

import json
import math
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from core.settings import default_config_file

KIOSK_KEYS = ("camera", "server_url", "api_key", "language", "match_threshold", "lock_after_minutes")


def read_config(path: Path | None = None) -> dict[str, Any]:
    path = path or default_config_file()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("not a finite number")
        return repr(v)
    if isinstance(v, str | Path):
        return json.dumps(str(v), ensure_ascii=False)  # a JSON string is a valid TOML basic string
    raise TypeError(f"cannot write {type(v).__name__} to the config file")


def write_config(changes: dict[str, Any], path: Path | None = None) -> Path:
    """Merge `changes` into the config file (a value of None removes the key); other keys are kept."""
    path = path or default_config_file()
    data = read_config(path)
    for k, v in changes.items():
        if v is None or v == "":
            data.pop(k, None)
        else:
            data[k] = v
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    lines = ["# SavePets settings (written by the kiosk settings page; edit freely)"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, table in tables.items():
        lines += ["", f"[{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path

"""The kiosk's API key: enrolled with a one-time code (`savepets sync enroll`, or the Settings page), kept in the
operating system's keyring, never in the config file or the data folder.

Where it lives, as the registry key does (core/crypto.py):
- the system keyring, service "SavePets", one entry per data folder (user "api-key:<data folder>"), when a real
  keyring exists (Windows Credential Manager, macOS Keychain, a desktop Secret Service); else
- a file readable only by the user (0600), `~/.config/SavePets/device-keys.json` (the user's config folder), or the
  file named by $SAVEPETS_API_KEY_FILE: a JSON object {data folder: key}.

Which key the kiosk uses: $SAVEPETS_API_KEY (scripts, tests) or `--api-key`, else the stored one. An `api_key`
found in the config file (before enrollment existed) is moved to the store at start and removed from the file.

Enrollment (`enroll`): the code is redeemed at `POST /v1/devices/enroll`; the key is stored; the server address goes
to the config file and the device's organisation to the registry (meta "org_id", "org_name"): no secret in either.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from core.crypto import usable_keyring
from core.service.base import ORG_ID_META, ORG_NAME_META
from core.settings import server_url_problem

log = logging.getLogger(__name__)

KEYRING_SERVICE = "SavePets"
STORE_FILE_ENV = "SAVEPETS_API_KEY_FILE"
API_KEY_ENV = "SAVEPETS_API_KEY"
DEVICE_META = "enrolled_device_id"


def entry_name(data_dir: Path | str) -> str:
    return f"api-key:{Path(data_dir).expanduser().resolve()}"


def default_store_file() -> Path:
    import platformdirs

    from core.settings import APP_NAME

    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "device-keys.json"


def store_file() -> Path:
    return Path(os.environ.get(STORE_FILE_ENV) or default_store_file()).expanduser()


# ------------------------------------------------------------------------------------------------ the file store
def _read_file(path: Path) -> dict[str, str]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        try:
            path.chmod(0o600)
            log.warning("API key file %s was readable by others; now 0600", path)
        except OSError:
            log.warning("API key file %s is readable by others: chmod 600 it", path)
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError) as exc:
        log.warning("API key file %s cannot be read (%s)", path, exc)
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _write_file(path: Path, data: dict[str, str]) -> None:
    """Written whole to a private temporary file (0600 whatever the umask), then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------ the key
def load_api_key(data_dir: Path | str) -> str | None:
    """The key stored for this data folder (the keyring first, then the file), or None."""
    name = entry_name(data_dir)
    kr = usable_keyring()
    if kr is not None:
        try:
            stored = kr.get_password(KEYRING_SERVICE, name)
            if stored:
                return stored
        except Exception as exc:  # noqa: BLE001 - a locked or broken keyring: the file may still hold it
            log.warning("the system keyring cannot be read (%s)", exc)
    return _read_file(store_file()).get(name)


def store_api_key(data_dir: Path | str, key: str) -> str:
    """Keep `key` for this data folder; returns where, in words."""
    name = entry_name(data_dir)
    kr = usable_keyring()
    if kr is not None:
        try:
            kr.set_password(KEYRING_SERVICE, name, key)
            if kr.get_password(KEYRING_SERVICE, name) != key:
                raise RuntimeError("the keyring did not keep the key")
            _forget_in_file(name)  # an older copy in the file must not outlive this one
            return f"the system keyring (service {KEYRING_SERVICE!r})"
        except Exception as exc:  # noqa: BLE001 - locked or broken keyring: the private file
            log.warning("the system keyring cannot hold the API key (%s); using %s", exc, store_file())
    path = store_file()
    data = _read_file(path)
    data[name] = key
    _write_file(path, data)
    return f"the private file {path}"


def _forget_in_file(name: str) -> None:
    path = store_file()
    data = _read_file(path)
    if name in data:
        del data[name]
        _write_file(path, data)


def forget_api_key(data_dir: Path | str) -> None:
    name = entry_name(data_dir)
    kr = usable_keyring()
    if kr is not None:
        try:
            kr.delete_password(KEYRING_SERVICE, name)
        except Exception:  # noqa: BLE001 - none there
            pass
    _forget_in_file(name)


def migrate_config_key(data_dir: Path | str, config: Path | None = None) -> bool:
    """An `api_key` in the config file (kiosks set up before enrollment) moves to the store and leaves the file.
    A key already stored for this data folder is kept (the keyring is read first). True when the file changed."""
    from kiosk.config import read_config, write_config

    try:
        found = read_config(config).get("api_key")
    except (OSError, ValueError) as exc:
        log.warning("the config file cannot be read for the API key migration (%s)", exc)
        return False
    if not found:
        return False
    stored = load_api_key(data_dir)
    if stored is None:
        where = store_api_key(data_dir, str(found))
        log.warning("moved the API key from the config file to %s, and removed it from the file", where)
    elif stored != found:
        log.warning("the config file held an API key other than the one stored for this kiosk; the stored one is "
                    "kept and the file's removed")
    else:
        log.warning("removed the API key from the config file (already stored)")
    write_config({"api_key": None}, config)
    return True


def resolve_api_key(settings, explicit: str | None = None) -> str | None:
    """The key the kiosk uses, set on `settings.api_key`: `explicit` (--api-key), else $SAVEPETS_API_KEY, else the
    stored key (after moving a config file's key there), else what `settings` held (given in code)."""
    if explicit:
        settings.api_key = explicit
        return explicit
    env = os.environ.get(API_KEY_ENV)
    if env:
        settings.api_key = env
        return env
    try:
        migrate_config_key(settings.data_dir)
        stored = load_api_key(settings.data_dir)
    except OSError as exc:
        log.warning("the stored API key cannot be read (%s)", exc)
        stored = None
    if stored:
        settings.api_key = stored
    return settings.api_key


# ------------------------------------------------------------------------------------------------ enrollment
class EnrollError(Exception):
    """Enrollment did not happen. kind: insecure | bad_url | bad_code | unreachable | refused."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class Enrolled:
    server_url: str
    device_id: str
    org_id: str
    org_name: str
    role: str
    name: str
    stored_in: str


def check_server_url(url: str) -> str:
    """The server address, without a trailing slash; refused by sync's own rule (core.settings.server_url_problem,
    which sync/client.py applies): not http(s), or plain http to a host other than this machine."""
    url = (url or "").strip().rstrip("/")
    problem = server_url_problem(url)
    if problem:
        raise EnrollError(problem, "insecure" if url.lower().startswith("http://") else "bad_url")
    return url


def redeem(server_url: str, code: str, name: str | None = None, timeout: float = 15.0) -> dict:
    """POST /v1/devices/enroll: the server's answer (key, device_id, org_id, org_name, role, name)."""
    import requests

    url = check_server_url(server_url)
    body = {"code": (code or "").strip()}
    if name and name.strip():
        body["name"] = name.strip()
    try:
        resp = requests.post(f"{url}/v1/devices/enroll", json=body, timeout=(5, timeout),
                             headers={"User-Agent": "savepets-kiosk-enroll"})
    except requests.RequestException as exc:
        raise EnrollError(f"The server {url} cannot be reached ({type(exc).__name__}). Check the address and the "
                          "network, then try again.", "unreachable") from None
    if resp.status_code == 201 or resp.status_code == 200:
        try:
            answer = resp.json()
            if not answer.get("key"):
                raise ValueError("no key")
            return answer
        except ValueError:
            raise EnrollError(f"{url} answered, but not as a SavePets server does.", "refused") from None
    message = _error_message(resp)
    if resp.status_code == 422:
        raise EnrollError(message, "bad_code")
    if resp.status_code == 404:
        raise EnrollError(f"{url} does not enroll devices (is it a SavePets server of this version?).", "refused")
    if resp.status_code == 429:
        raise EnrollError(message, "bad_code")
    raise EnrollError(f"The server refused (HTTP {resp.status_code}): {message}", "refused")


def _error_message(resp) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300] or f"HTTP {resp.status_code}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return str(body)[:300]


def enroll(server_url: str, code: str, data_dir: Path | str, db=None, name: str | None = None,
           config: Path | None = None) -> Enrolled:
    """Redeem `code` at `server_url` and set this kiosk up with what it gets: the key in the keyring (or the private
    file), the server address in the config file, the organisation in the registry's meta (`db`: a
    core.registry.db.Database, when the registry is at hand)."""
    from kiosk.config import write_config

    url = check_server_url(server_url)
    answer = redeem(url, code, name)
    where = store_api_key(data_dir, answer["key"])
    write_config({"server_url": url, "api_key": None}, config)
    if db is not None:
        save_org(db, answer)
    log.info("enrolled as device %s of %s at %s; key in %s", answer.get("device_id"), answer.get("org_name"), url,
             where)
    return Enrolled(url, str(answer.get("device_id", "")), str(answer.get("org_id", "")),
                    str(answer.get("org_name", "")), str(answer.get("role", "")), str(answer.get("name", "")), where)


def save_org(db, answer: dict) -> None:
    for meta, field in ((ORG_ID_META, "org_id"), (ORG_NAME_META, "org_name"), (DEVICE_META, "device_id")):
        if answer.get(field):
            db.set_meta(meta, str(answer[field]))


def organisation(db) -> tuple[str | None, str | None]:
    """(org id, org name) this kiosk is enrolled in, from the registry's meta; (None, None) before enrollment."""
    return db.meta(ORG_ID_META), db.meta(ORG_NAME_META)


def sync_error_words(message: str | None) -> str | None:
    """A sync error the person at the kiosk can act on: a refused key (revoked device) says so."""
    if message and "HTTP 401" in message:
        return ("The server refused this kiosk's key: the device was revoked or is not enrolled. Enroll it again "
                "with a new code (Settings, or savepets sync enroll).")
    return None

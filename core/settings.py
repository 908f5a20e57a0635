"""All settings in one place: environment variables (SAVEPETS_*), then a TOML config file, then defaults."""

from __future__ import annotations

import ipaddress
import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

APP_NAME = "SavePets"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    return Path(os.environ.get("SAVEPETS_CONFIG") or platformdirs.user_config_path(APP_NAME, appauthor=False)
                / "config.toml")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAVEPETS_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="Registry database, photos and index")
    db_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in data_dir")
    device_id: str | None = Field(None, description="This install's id in sync; generated on first start")
    key_file: Path | None = Field(None, description="Registry key file (core/crypto.py); default: the system "
                                  "keyring, else registry.key in the user's config folder, made on first start")

    # recognition
    engine: str = Field("auto", description="auto | learned | classical")
    match_threshold: float | None = Field(None, description="Override the engine's operating threshold")
    top_k: int = 5

    # server
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_mb: int = 20
    workers: int = 2
    task_backend: str = Field("local", description="local (thread pool) | celery")
    redis_url: str = "redis://127.0.0.1:6379/0"
    rate_limit_per_minute: int = 120
    # wrong API keys tried per client address and key id in a minute before further tries are refused unchecked
    auth_failures_per_minute: int = 20
    # TLS for `savepets serve` (passed to uvicorn); a non-loopback host needs them, or --insecure
    ssl_certfile: Path | None = Field(None, description="PEM certificate (chain) the server presents")
    ssl_keyfile: Path | None = Field(None, description="PEM private key of that certificate")
    # clear text on a network anyway (a TLS reverse proxy on another host of a trusted network); `serve --insecure`
    insecure: bool = Field(False, description="Serve a non-loopback address without TLS, and plain http to any client")
    # reverse proxies in front of the server (IPs or CIDRs; env: comma-separated). Only a request whose direct peer
    # is one of them has X-Forwarded-For (the client's address) and X-Forwarded-Proto (https) believed
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Reverse proxies whose X-Forwarded-For and -Proto are believed")
    # the server's log on stderr (sync/server/logs.py): SavePets' own loggers at this level, and one access-log line
    # a request (method, path without the query string, status, ms, key id; sync/server/access_log.py)
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Level of the server's own log lines: debug | info | warning | error")
    access_log: bool = Field(True, description="Log each request of the server (at INFO): method, path, status, ms")

    # audit trail (core/audit.py): entries older than this are purged (at start, daily, `savepets audit purge`)
    audit_retention_days: int = Field(730, ge=1, le=36500, description="Days an audit entry is kept (default 2 years)")
    # owners' contacts a staff device may ask for online (POST /v1/dogs/{key}/contact) in an hour; past it: 429, alert
    contacts_per_hour: int = Field(20, ge=1, le=10000, description="Contacts a device may ask for in an hour")
    # notifications (core/notify.py): the app's phone codes. notify_smtp "host:port" sends e-mail through that SMTP
    # server to notify_to ({phone}: E.164 digits, {national}: 010...; an email-to-SMS gateway, or one plain address);
    # without it the codes go to the log (development)
    notify_smtp: str | None = Field(None, description="SMTP server host:port for notifications; none: the log")
    notify_to: str = Field("{phone}@sms.invalid", description="Recipient address template ({phone}, {national})")
    notify_from: str = Field("savepets@localhost", description="Sender address of notifications")
    notify_smtp_starttls: bool = Field(False, description="STARTTLS on the notify_smtp connection")
    notify_smtp_user: str | None = Field(None, description="Login on notify_smtp (with notify_smtp_password)")
    notify_smtp_password: str | None = Field(None, description="Password of notify_smtp_user")
    # the outbox (core/notifications.py): SMS through an HTTP gateway when notify_webhook_url is set (the server POSTs
    # {"id", "to", "text", "language"} with Idempotency-Key: id, Authorization: Bearer notify_webhook_token if set;
    # https unless on loopback), else through notify_smtp and notify_to; e-mail through notify_smtp
    notify_webhook_url: str | None = Field(None, description="SMS gateway webhook (https://...); none: notify_smtp")
    notify_webhook_token: str | None = Field(None, description="Bearer token sent to notify_webhook_url")
    notify_timeout: float = Field(10.0, gt=0, le=120, description="Seconds a send may take (SMTP, webhook)")
    notify_interval: float = Field(5.0, gt=0, le=3600, description="Seconds between the server's outbox rounds")

    # reunite (core/service/reunite.py): a stray taken in is held this many days before it may be rehomed
    found_hold_days: int = Field(10, ge=0, le=365, description="Days a found dog is held for its owner (intake)")

    # kiosk
    # the camera, kept by its name (Linux: a /dev/v4l/by-id or by-path link, or its V4L2 name) and resolved to its
    # number when opened, since the number can change when it is plugged in again; or a number, a video, a folder
    camera: str = Field("0", description="Camera: its name (/dev/v4l/by-id/…, or its V4L2 name), a number (0, 1, "
                        "…), a video file or a folder of photos")
    server_url: str | None = None
    api_key: str | None = None
    language: str = "ko"
    # the kiosk locks itself (signs the member out, hides personal data) after this long without a touch
    lock_after_minutes: int = Field(5, ge=1, le=240, description="Idle minutes before the kiosk locks itself")

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value):
        return value.lower() if isinstance(value, str) else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value):
        if value is None:
            return []
        if isinstance(value, str):
            value = value.replace(";", ",").replace(" ", ",").split(",")
        out = []
        for item in value:
            item = str(item).strip()
            if not item:
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {item!r} is not an IP address or network (e.g. 10.0.0.5 or "
                                 "10.0.0.0/24)") from None
            out.append(item)
        return out

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, **_other_sources):
        return (init_settings, env_settings,
                TomlConfigSettingsSource(settings_cls, toml_file=default_config_file()))

    @cached_property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'registry.sqlite3'}"

    @property
    def photo_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


# ------------------------------------------------------------------------------------ the kiosk's server address
def loopback_host(host: str) -> bool:
    """Only this machine: a loopback IP literal (127.0.0.0/8, ::1) or the name localhost (never resolved: a name
    that resolves to 127.0.0.1 today may not tomorrow)."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def server_url_problem(url: str | None) -> str | None:
    """Why the kiosk must not sync with the server at `url`, or None (an https:// address, or http:// to this
    machine)."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        return (f"The server address {text!r} is not a web address: give https://host:port "
                "(e.g. https://savepets.example.org:8443).")
    if parts.scheme.lower() == "http" and not loopback_host(host):
        return (f"Refusing to sync with {text} over plain http: owners' names and phone numbers would cross the "
                "network in clear text. Use its https:// address (http:// is only for this machine: 127.0.0.1, "
                "::1, localhost).")
    return None

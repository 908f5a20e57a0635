"""Who is calling and over what: the client's address behind a reverse proxy, and the HTTPS rule for each request.

Client address: the direct peer of the connection, unless that peer is one of ``settings.trusted_proxies`` (IPs or
networks; empty by default). Only then is ``X-Forwarded-For`` believed, read from the right: the first hop that is
not itself a trusted proxy is the client (what a client writes into the header itself stays on the left, where it
is never reached). ``X-Forwarded-Proto`` is believed on the same condition. Rate limits and wrong-key lock-outs
(sync/server/limits.py) count this address.

``HttpsOnly`` (pure ASGI, outermost): a request that came over plain http from anything but this machine is refused
with 403 ``https_required`` before anything else runs, unless a trusted proxy says the client used https, or
``settings.insecure`` is set. It is the per-request half of the rule whose start-up half is
``sync.server.app.tls_problem``: a server started by other means than ``savepets serve`` (``uvicorn --factory``
on 0.0.0.0) still sends no owner data in clear text over a network.

Under uvicorn, run with ``--no-proxy-headers`` (``savepets serve`` does): uvicorn otherwise rewrites the peer from
``X-Forwarded-For`` itself for requests from 127.0.0.1, before these rules see them.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """settings.trusted_proxies as networks (a bare address is a network of one)."""
    return tuple(ipaddress.ip_network(str(e).strip(), strict=False) for e in entries)


@lru_cache(maxsize=4096)
def _address(text: str) -> Address | None:
    """An IP address from a peer or a forwarded hop ('1.2.3.4', '1.2.3.4:5678', '[::1]:80', 'fe80::1%eth0'), or
    None for anything else."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:text.find("]")] if "]" in text else text
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None


def _trusted(address: Address | None, trusted: tuple[Network, ...]) -> bool:
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == n.version and address in n for n in trusted)


def _header_values(scope: Scope, name: bytes) -> list[str]:
    """Every comma-separated item of every header `name` (repeated headers read as one list, in order)."""
    items: list[str] = []
    for key, value in scope.get("headers") or ():
        if key == name:
            items += [v.strip() for v in value.decode("latin-1").split(",") if v.strip()]
    return items


def peer_of(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


def client_address_of(scope: Scope, trusted: tuple[Network, ...]) -> str:
    """The client's address for this request (see the module's docstring)."""
    peer = peer_of(scope)
    if not trusted or not _trusted(_address(peer), trusted):
        return peer
    address = peer
    for hop in reversed(_header_values(scope, b"x-forwarded-for")):
        parsed = _address(hop)
        if parsed is None:  # not an address: stop at the last hop a trusted proxy vouched for
            return address
        address = str(parsed)
        if not _trusted(parsed, trusted):
            return address
    return address


def forwarded_https(scope: Scope, trusted: tuple[Network, ...]) -> bool:
    """Whether a trusted proxy says the client reached it over https (every X-Forwarded-Proto item says so)."""
    if not trusted or not _trusted(_address(peer_of(scope)), trusted):
        return False
    protos = _header_values(scope, b"x-forwarded-proto")
    return bool(protos) and all(p.lower() == "https" for p in protos)


def _loopback(text: str) -> bool:
    address = _address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address is not None and address.is_loopback


def trusted_of(conn: HTTPConnection) -> tuple[Network, ...]:
    """The app's trusted proxies (parsed once by create_app)."""
    return getattr(conn.app.state, "trusted_proxies", ())


def client_address(conn: HTTPConnection) -> str:
    """The calling client's address (a Request or WebSocket of the app): what limits count."""
    return client_address_of(conn.scope, trusted_of(conn))


def plain_http_problem(scope: Scope, trusted: tuple[Network, ...]) -> str | None:
    """Why this request must be refused as clear text on a network, or None (the request is fine)."""
    if scope.get("scheme") in ("https", "wss"):
        return None
    if forwarded_https(scope, trusted) or _loopback(client_address_of(scope, trusted)):
        return None
    return ("This server answers only over https: owners' names and phone numbers must not cross the network in "
            "clear text. Use the https:// address (or, behind a reverse proxy, list the proxy in trusted_proxies "
            "and let it send X-Forwarded-Proto: https).")


class HttpsOnly:
    """Pure ASGI middleware: refuses a plain-http request from another machine (403 https_required) unless it came
    through a trusted proxy that says https, or `insecure` is set."""

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...] = (), insecure: bool = False):
        self.app = app
        self.trusted = trusted
        self.insecure = insecure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self.insecure:
            problem = plain_http_problem(scope, self.trusted)
            if problem is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                body = json.dumps({"error": {"code": "https_required", "message": problem}}).encode()
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

"""Two `savepets serve` replicas (one MariaDB database, Redis) behind Debian's nginx terminating TLS on loopback,
configured as the README shows: register and look up over https through the proxy, both replicas answering; the
replicas (trusted_proxies=127.0.0.1) count the client's own address from X-Forwarded-For for the rate limit, ignore
what a client writes into that header, and accept https-forwarded requests from a client on the network while
refusing the same client over the proxy's plain http."""

from __future__ import annotations

import time

import httpx
import pytest

from core.recognition.base import Decision
from tests.proxykit import Nginx, nginx_or_skip, outside_address
from tests.serverkit import REDIS_URL, Server, drop_mysql_database, mysql_database_with_redis
from tests.test_server import error_of, lookup, new_dog, register

RATE = 30  # requests a minute per key and per client address on the replicas


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """nginx on https://127.0.0.1:<port> (and this machine's network address, if any) in front of two replicas."""
    nginx_or_skip()
    url = mysql_database_with_redis()
    base = tmp_path_factory.mktemp("proxy")
    data = base / "data"
    settings = {"redis_url": REDIS_URL, "trusted_proxies": "127.0.0.1", "rate_limit_per_minute": RATE}
    keys = [Server(url, data).key("admin", f"proxy-{i}") for i in range(4)]  # migrates once, before both start
    a = Server(url, data, **settings).launch()
    b = Server(url, data, **settings).launch()
    outside = outside_address()
    proxy = None
    try:
        a.wait_ready()
        b.wait_ready()
        proxy = Nginx(base / "nginx", [a.port, b.port], extra_hosts=(outside,) if outside else ()).start()
        yield proxy, (a, b), keys, outside
    finally:
        if proxy is not None:
            proxy.stop()
        a.stop()
        b.stop()
        drop_mysql_database(url)


def test_register_and_look_up_over_https_through_nginx(proxied):
    proxy, (a, b), keys, _ = proxied
    dog = new_dog()
    with proxy.client(keys[0]) as c:
        created = register(c, dog)
        assert created.status_code == 201, created.text
        number = created.json()["dog"]["registration_number"]
        assert created.headers["Location"] == f"/v1/dogs/{created.json()['dog']['id']}"
        found = lookup(c, dog).json()
        assert found["decision"] == Decision.MATCH and found["match"]["dog"]["registration_number"] == number
        assert c.get(created.headers["Location"]).json()["registration_number"] == number
        for _ in range(4):  # nginx spreads requests over both replicas
            assert c.get("/v1/dogs", params={"q": number}).status_code == 200
    for replica in (a, b):
        assert "GET /v1/dogs" in replica.log(), f"replica on {replica.port} answered nothing:\n{replica.log()}"
    clear = httpx.get(proxy.url.replace("https://", "http://") + "/v1/health", timeout=5)
    assert clear.status_code == 400  # nginx: "The plain HTTP request was sent to HTTPS port"; nothing forwarded


def test_rate_limit_counts_the_client_behind_the_proxy(proxied):
    """Per client address, from X-Forwarded-For: one address out of room is refused whatever key it uses, another
    address still gets in; a client that writes someone else's address into X-Forwarded-For is still itself."""
    proxy, _, keys, _ = proxied
    if time.time() % 60 > 40:  # the limit counts per calendar minute in Redis: all of it in one minute
        time.sleep(61 - time.time() % 60)
    first, second, third = keys[1], keys[2], keys[3]
    codes = []
    with proxy.client(first, local_address="127.0.0.2") as c1, proxy.client(second, local_address="127.0.0.2") as c2:
        codes += [c1.get("/v1/dogs").status_code for _ in range(RATE // 2)]
        codes += [c2.get("/v1/dogs").status_code for _ in range(RATE // 2)]
        assert codes == [200] * RATE  # each key used only half its allowance
        refused = c2.get("/v1/dogs")  # ... but the address has used all of its own
        assert error_of(refused, 429)["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
    with proxy.client(third, local_address="127.0.0.3") as c3:
        assert c3.get("/v1/dogs").status_code == 200  # another client behind the same proxy
        # naming the exhausted address (or any other) in X-Forwarded-For does not make this client someone else
        spoofed = c3.get("/v1/dogs", headers={"X-Forwarded-For": "127.0.0.2"})
        assert spoofed.status_code == 200, spoofed.text
        spoofed = c3.get("/v1/dogs", headers={"X-Forwarded-For": "198.51.100.9"})
        assert spoofed.status_code == 200, spoofed.text


def test_https_forwarded_requests_from_the_network_are_accepted_plain_http_refused(proxied):
    proxy, _, keys, outside = proxied
    if outside is None:
        pytest.skip("this machine has no network address besides loopback")
    with proxy.client(keys[0], host=outside) as c:  # a client on the network, over the proxy's TLS
        r = c.get("/v1/dogs")
        assert r.status_code == 200, r.text
    # the same client over the proxy's plain http: nginx says X-Forwarded-Proto http, the replica refuses
    with httpx.Client(base_url=f"http://{outside}:{proxy.plain_port}", timeout=30,
                      headers={"Authorization": f"Bearer {keys[0]}", "X-Forwarded-Proto": "https"}) as plain:
        r = plain.get("/v1/dogs")
        assert error_of(r, 403)["code"] == "https_required", r.text
    # from this machine, plain http to the proxy is loopback and allowed (as it is straight to the server)
    with httpx.Client(base_url=f"http://127.0.0.1:{proxy.plain_port}", timeout=30,
                      headers={"Authorization": f"Bearer {keys[0]}"}) as local:
        assert local.get("/v1/dogs").status_code == 200

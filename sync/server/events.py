"""How a process learns of the changes other processes that share its database make (several servers, Celery
workers): each refresh (``SavePets.refresh_gallery()``) reads only the templates and dogs changed since the
gallery's mark (core/service/gallery.py), never the whole gallery.

With Redis: after each committed change SavePets calls its ``on_change`` listeners; ``GalleryEvents`` publishes the
dog id on a Redis pub/sub channel named after the database, and every other process subscribed to it refreshes.
Messages that arrive together are folded into one refresh. After a lost connection the listener re-subscribes and
refreshes once, since it may have missed messages meanwhile; a slow poll (REDIS_POLL_S) backs it up.
Without Redis (a server on MySQL/MariaDB that has none): the change log is polled every POLL_S seconds, which the
server says at start. A single process on SQLite needs none of this.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid

import redis

from core.service.gallery import POLL_S
from core.usecases import SavePets

log = logging.getLogger(__name__)
REDIS_POLL_S = 60.0  # with Redis, the change log is still read this often, in case a message was lost


class GalleryEvents:
    def __init__(self, sp: SavePets, redis_url: str | None, poll_s: float | None = None):
        self.sp = sp
        self.redis = None
        self.origin = uuid.uuid4().hex
        self.received = 0  # refreshes done on behalf of other processes (for tests and /v1/ready)
        self.poll_s = poll_s if poll_s is not None else (REDIS_POLL_S if redis_url else POLL_S)
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._thread = None
        if redis_url:
            self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=5, health_check_interval=30)
            self.redis.ping()  # fail at start-up, not at the first change
            self.channel = f"savepets:changes:{sp.db.device_id()}"
            sp.on_change.append(self.publish)
            self._thread = threading.Thread(target=self._listen, name="gallery-events", daemon=True)
            self._thread.start()
            self._subscribed.wait(5)
            log.info("gallery: other processes' changes arrive through Redis (and the change log is read every "
                     "%.0f s in case a message was lost)", self.poll_s)
        else:
            log.warning("gallery: no Redis configured: other processes' changes are read from the change log every "
                        "%.0f s (set redis_url to learn of them at once)", self.poll_s)
        self._poller = threading.Thread(target=self._poll, name="gallery-poll", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.sp.refresh_gallery()
            except Exception:  # noqa: BLE001 - keep polling through a database restart
                log.exception("gallery: reading the change log failed; trying again in %.0f s", self.poll_s)

    def publish(self, dog_id: str) -> None:
        self.redis.publish(self.channel, json.dumps({"origin": self.origin, "dog_id": dog_id}))

    def _listen(self) -> None:
        first = True
        while not self._stop.is_set():
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                self._subscribed.set()
                if not first:
                    self.sp.refresh_gallery()
                first = False
                while not self._stop.is_set():
                    msg = pubsub.get_message(timeout=1.0)
                    if msg is None:
                        continue
                    foreign = self._foreign(msg)
                    while (more := pubsub.get_message(timeout=0.01)) is not None:  # fold a burst into one
                        foreign = self._foreign(more) or foreign
                    if foreign:
                        self.sp.refresh_gallery()
                        self.received += 1
                pubsub.close()
            except Exception:  # noqa: BLE001 - keep listening through Redis restarts
                log.exception("gallery invalidation listener: reconnecting in 1 s")
                self._stop.wait(1.0)

    def _foreign(self, msg: dict) -> bool:
        try:
            return json.loads(msg["data"]).get("origin") != self.origin
        except (ValueError, TypeError, AttributeError):
            return False

    def close(self) -> None:
        self._stop.set()
        if self.publish in self.sp.on_change:
            self.sp.on_change.remove(self.publish)
        for t in (self._thread, self._poller):
            if t is not None:
                t.join(timeout=3)
        if self.redis is not None:
            self.redis.close()

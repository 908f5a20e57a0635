"""Gallery invalidation across processes that share one database (several servers, Celery workers).

After each committed change SavePets calls its ``on_change`` listeners; ``GalleryEvents`` publishes the dog
id on a Redis pub/sub channel named after the database, and every other process subscribed to it calls
``SavePets.refresh_gallery()``. Messages that arrive together are folded into one refresh. After a lost
connection the listener re-subscribes and refreshes once, since it may have missed messages meanwhile.
Only used when Redis is configured: a single process on SQLite needs none of this.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid

import redis

from core.usecases import SavePets

log = logging.getLogger(__name__)


class GalleryEvents:
    def __init__(self, sp: SavePets, redis_url: str):
        self.sp = sp
        self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=5, health_check_interval=30)
        self.redis.ping()  # fail at start-up, not at the first change
        self.channel = f"savepets:changes:{sp.db.device_id()}"
        self.origin = uuid.uuid4().hex
        self.received = 0  # refreshes done on behalf of other processes (for tests and /v1/ready)
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        sp.on_change.append(self.publish)
        self._thread = threading.Thread(target=self._listen, name="gallery-events", daemon=True)
        self._thread.start()
        self._subscribed.wait(5)

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
        self._thread.join(timeout=3)
        self.redis.close()

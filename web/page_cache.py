"""Rendered pages kept until anything changes (or a minute passes).

Every state change appends an audit event, so the chain head's sequence number is a perfect
validator: a cached page is served only while it is unchanged. Entries are per user and per
session (the page embeds the session's CSRF token), so nothing crosses between people.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, request, session

from web.portal import me, unit_of_work
from workflows.freshness import last_change

F = TypeVar("F", bound=Callable[..., Any])

MAX_ENTRIES = 512
MAX_AGE_SECONDS = 60.0  # time-dependent parts (overdue, stale evidence) refresh at least this often


class PageCache:
    """A small thread-safe LRU of rendered pages."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[int, float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], version: int) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if (
                entry is None
                or entry[0] != version
                or time.monotonic() - entry[1] > MAX_AGE_SECONDS
            ):
                return None
            self._entries.move_to_end(key)
            return entry[2]

    def put(self, key: tuple[Any, ...], version: int, html: str) -> None:
        with self._lock:
            self._entries[key] = (version, time.monotonic(), html)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


_cache = PageCache()


def cached_until_changed(view: F) -> F:
    """Serve the view's last rendering for this user, session and URL while nothing changed."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if session.get("_flashes"):
            return view(*args, **kwargs)  # messages are shown once: render afresh
        key = (view.__name__, me().record.id, session.get("csrf_token"), request.full_path)
        version = last_change(unit_of_work())
        html = _cache.get(key, version)
        if html is not None:
            return Response(html, mimetype="text/html")
        rendered = view(*args, **kwargs)
        if isinstance(rendered, str):
            _cache.put(key, version, rendered)
        return rendered

    return wrapper  # type: ignore[return-value]

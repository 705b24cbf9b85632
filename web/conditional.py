"""Pages a browser may keep and ask about again: HTTP conditional requests (ETag and 304).

Nothing is kept on the server: the browser keeps the page, and sends its tag back
(If-None-Match); while the tag is current, the answer is 304 Not Modified, without rendering.
Any worker on any host computes the same tag. It names everything the page depends on:

- who asks: the user, their session version (logging out ends it) and the session's CSRF
  token (the page carries a form signed with it);
- the data: the chain head's sequence number, which every change moves (each change
  appends an audit event). Only a signed-in person can append one (a failed login is kept
  apart, in login_failures), so no anonymous request can turn a kept page stale;
- the time: the current minute, as overdue and stale-evidence flags move with the clock;
- the address and the release.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from importlib.metadata import version
from typing import Any, TypeVar

from flask import make_response, request, session
from werkzeug.wrappers import Response

from web.portal import me, unit_of_work
from workflows.freshness import last_change

F = TypeVar("F", bound=Callable[..., Any])

RELEASE = version("lockgate")


def revalidated(view: F) -> F:
    """Tag the view's page; answer 304 when the browser already holds the current one."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if session.get("_flashes"):
            return view(*args, **kwargs)  # messages are shown once: never kept
        tag = page_tag()
        if request.if_none_match.contains_weak(tag):
            response = Response(status=304)
        else:
            response = make_response(view(*args, **kwargs))
        if response.status_code in (200, 304):
            response.set_etag(tag, weak=True)
            response.headers["Cache-Control"] = "private, no-cache"
            response.vary.add("Cookie")
        return response

    return wrapper  # type: ignore[return-value]


def page_tag() -> str:
    """The tag of the page this request asks for, as it would be rendered now."""
    uow = unit_of_work()
    user = me().record
    parts = (
        RELEASE,
        request.full_path,
        user.id,
        user.session_version,
        session.get("csrf_token", ""),
        last_change(uow),
        uow.now.strftime("%Y-%m-%dT%H:%M"),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]

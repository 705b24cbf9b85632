"""The page a request asks for: `after`, `before` or `last` in its query string."""

from __future__ import annotations

from typing import Any

from flask import request

from workflows.views.paging import Cursor

PAGING_ARGS = ("after", "before", "last")
MAX_KEY_CHARS = 100


def cursor_of(kind: type[Any] = str) -> Cursor[Any]:
    """The cursor in the query string; a value that does not parse is ignored (first page)."""
    after = _key(request.args.get("after", type=kind))
    before = _key(request.args.get("before", type=kind))
    if after is not None and before is not None:
        return Cursor()
    return Cursor(after, before, last=request.args.get("last") == "1" and after is None)


def filter_args(names: tuple[str, ...] | None = None) -> dict[str, str]:
    """The query string's filters (the non-empty values of `names`, or of every argument
    but the paging ones): the links to other pages keep them."""
    return {
        k: v
        for k, v in request.args.items()
        if v and k not in PAGING_ARGS and (names is None or k in names)
    }


def _key(value: Any) -> Any:
    return None if isinstance(value, str) and len(value) > MAX_KEY_CHARS else value

"""Paging by key: a page starts after (or before) the key of a row the reader has seen.

An OFFSET makes the database read and throw away every row before the page, so page 20,000
of a million projects reads a million; a key condition reads only the page, at any depth.
A page asks for one row more than it shows, to know whether another page follows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

K = TypeVar("K")
T = TypeVar("T")
S = TypeVar("S", bound=Select)  # type: ignore[type-arg]

Column = ColumnElement[Any] | InstrumentedAttribute[Any]


@dataclass(frozen=True)
class Cursor(Generic[K]):
    """Where a page starts, in the order pages are read: right after the key `after` (the
    next page), right before the key `before` (the previous page), or at the far end
    (`last`). None of them: the first page."""

    after: K | None = None
    before: K | None = None
    last: bool = False

    @property
    def backwards(self) -> bool:
        """True when the page is found by reading back from its end."""
        return self.before is not None or self.last

    @property
    def at_start(self) -> bool:
        """True for the first page."""
        return self.after is None and not self.backwards


@dataclass(frozen=True)
class Page(Generic[T, K]):
    """One page of rows in reading order, and the keys that lead to its neighbours.

    `previous` is the key to read `before` for the page before this one (None on the first
    page); `next` the key to read `after` for the page after it (None on the last).
    """

    rows: list[T]
    previous: K | None
    next: K | None


def keyset(
    query: S, key: Column | tuple[Column, ...], cursor: Cursor[Any], size: int, descending: bool
) -> S:
    """`query` restricted to the page `cursor` names, ordered by `key` (one column, or a
    tuple of columns whose cursor values are tuples; descending for a newest-first list) and
    limited to `size` + 1 rows. Rows of a backwards page come last first: `page_of` puts them
    back in reading order."""
    columns = key if isinstance(key, tuple) else (key,)
    compared = tuple_(*columns) if len(columns) > 1 else columns[0]
    if cursor.after is not None:
        query = query.where(compared < cursor.after if descending else compared > cursor.after)
    if cursor.before is not None:
        query = query.where(compared > cursor.before if descending else compared < cursor.before)
    reverse = descending != cursor.backwards
    order = [column.desc() if reverse else column.asc() for column in columns]
    return query.order_by(*order).limit(size + 1)


def page_of(rows: Sequence[T], cursor: Cursor[K], size: int, key: Callable[[T], K]) -> Page[T, K]:
    """The page of the rows `keyset` found (at most `size` + 1), with its neighbours' keys."""
    more = len(rows) > size
    shown = list(rows[:size])
    if cursor.backwards:
        shown.reverse()
        previous = key(shown[0]) if more else None
        following = key(shown[-1]) if shown and cursor.before is not None else None
    else:
        previous = key(shown[0]) if shown and cursor.after is not None else None
        following = key(shown[-1]) if more else None
    return Page(shown, previous, following)

"""The audit trail's Merkle tree in the database: leaf hashes from the events' stored bytes,
and the stored complete subtrees (tiles) that make a proof cheap.

Leaf i is event seq i + 1. A complete subtree of height h is found from the stored tiles at
the multiple of TILE_HEIGHT below h (at most 255 of them), or from the events themselves
below height 8: a proof of a million-event trail reads a few hundred rows per level.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, insert, select

from gates.merkle import TILE_HEIGHT, TreeHead, leaf_hash, subtree_hash, tree_head
from workflows.store.records import AuditEvent, AuditTreeTile, table_of
from workflows.store.uow import UnitOfWork

TILE = 1 << TILE_HEIGHT
MAX_LEVEL = 4 * TILE_HEIGHT  # 2**32 events: far beyond any PMO's trail
_EVENTS, _TILES = table_of(AuditEvent), table_of(AuditTreeTile)


class TrailGap(LookupError):
    """Events the tree needs are not in the trail (deleted, or not written yet)."""


class StoredNodes:
    """The hash of any complete subtree of the trail (gates.merkle.Nodes), from stored tiles
    where there are some, else from the events' bytes. Caches what it reads."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._cache: dict[tuple[int, int], bytes] = {}
        self._rows: dict[tuple[int, int], list[bytes]] = {}
        self._stored: dict[tuple[int, int], dict[int, bytes]] = {}

    def __call__(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._cache:
            self._cache[key] = self._find(level, index)
        return self._cache[key]

    def _find(self, level: int, index: int) -> bytes:
        base = level - level % TILE_HEIGHT
        width = 1 << (level - base)
        first = index * width
        # A subtree below a tile height is read with the rest of its tile: one query serves
        # every level of a proof between two tile heights.
        group, offset = divmod(first, TILE)
        if base == 0:
            children = self._leaves(group)[offset : offset + width]
            if len(children) != width:
                raise TrailGap(
                    f"events #{first + 1:,} to #{first + width:,} are not all in the trail"
                )
        else:
            stored = self._tiles(base, group)
            children = [
                stored.get(i) or self._from_lower(base, i) for i in range(first, first + width)
            ]
        return tree_head(children).root

    def _leaves(self, group: int) -> list[bytes]:
        key = (-1, group)
        if key not in self._rows:
            self._rows[key] = _available_leaves(self.uow, group * TILE, TILE)
        found: list[bytes] = self._rows[key]
        return found

    def _tiles(self, level: int, group: int) -> dict[int, bytes]:
        key = (level, group)
        if key not in self._stored:
            self._stored[key] = _stored_tiles(self.uow, level, group * TILE, TILE)
        return self._stored[key]

    def _from_lower(self, level: int, index: int) -> bytes:
        """A tile not stored yet: folded from the level below it."""
        lower = level - TILE_HEIGHT
        return tree_head(self(lower, index * TILE + i) for i in range(TILE)).root


def _available_leaves(uow: UnitOfWork, first: int, count: int) -> list[bytes]:
    """The leaf hashes of leaves first .. up to count of them, as far as the trail is
    contiguous (a tile at the end of the trail is not full yet)."""
    query = (
        select(_EVENTS.c.seq, _EVENTS.c.body)
        .where(_EVENTS.c.seq > first, _EVENTS.c.seq <= first + count)
        .order_by(_EVENTS.c.seq)
    )
    found: list[bytes] = []
    for seq, body in uow.session.execute(query):
        if seq != first + len(found) + 1:
            break
        found.append(leaf_hash(body))
    return found


def _stored_tiles(uow: UnitOfWork, level: int, first: int, count: int) -> dict[int, bytes]:
    query = select(_TILES.c.idx, _TILES.c.hash).where(
        _TILES.c.level == level, _TILES.c.idx >= first, _TILES.c.idx < first + count
    )
    return {idx: bytes(value) for idx, value in uow.session.execute(query)}


def stored_tiles(uow: UnitOfWork) -> dict[tuple[int, int], bytes]:
    """Every stored tile, by (level, index): a million events store about 4,000."""
    rows = uow.session.execute(select(_TILES.c.level, _TILES.c.idx, _TILES.c.hash))
    return {(level, idx): bytes(value) for level, idx, value in rows}


def extend_tiles(uow: UnitOfWork, size: int) -> int:
    """Store the tiles of the first `size` leaves not stored yet; returns how many were
    added. Level 8 is read from the events in one pass; each higher level from the one
    below it."""
    added = 0
    for level in range(TILE_HEIGHT, MAX_LEVEL + 1, TILE_HEIGHT):
        complete = size >> level
        have = uow.session.execute(select(func.count()).where(_TILES.c.level == level)).scalar_one()
        if have >= complete:
            continue
        values = (
            _level_one_tiles(uow, have, complete)
            if level == TILE_HEIGHT
            else _upper_tiles(uow, level, have, complete)
        )
        rows = [{"level": level, "idx": idx, "hash": value} for idx, value in values]
        if rows:
            uow.session.execute(insert(_TILES), rows)
            added += len(rows)
    return added


def _level_one_tiles(uow: UnitOfWork, first: int, end: int) -> Iterator[tuple[int, bytes]]:
    query = (
        select(_EVENTS.c.seq, _EVENTS.c.body)
        .where(_EVENTS.c.seq > first * TILE, _EVENTS.c.seq <= end * TILE)
        .order_by(_EVENTS.c.seq)
        .execution_options(yield_per=10_000)
    )
    leaves: list[bytes] = []
    expected, index = first * TILE + 1, first
    for seq, body in uow.session.execute(query):
        if seq != expected:
            raise TrailGap(f"event #{expected:,} is not in the trail")
        leaves.append(leaf_hash(body))
        expected += 1
        if len(leaves) == TILE:
            yield index, tree_head(leaves).root
            leaves, index = [], index + 1
    if index != end:
        raise TrailGap(f"event #{expected:,} is not in the trail")


def _upper_tiles(uow: UnitOfWork, level: int, first: int, end: int) -> Iterator[tuple[int, bytes]]:
    lower = _stored_tiles(uow, level - TILE_HEIGHT, first * TILE, (end - first) * TILE)
    for index in range(first, end):
        yield index, tree_head(lower[index * TILE + i] for i in range(TILE)).root


def head_of(uow: UnitOfWork, size: int) -> TreeHead:
    """The tree head of the first `size` events, from stored tiles and events."""
    return TreeHead(size, subtree_hash(StoredNodes(uow), 0, size))

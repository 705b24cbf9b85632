"""The audit trail as a Merkle tree (RFC 6962, RFC 9162 section 2.1): tree heads, inclusion
and consistency proofs, and their verification.

Each audit event is one leaf, in seq order: leaf i holds event i + 1, and its hash is
SHA-256(0x00 || the event's stored canonical bytes); an interior node is SHA-256(0x01 ||
left || right). A signed tree head (gates.notes) commits to every event up to its size, so
any event can be proven included, and a later head proven to extend an earlier one, with a
logarithmic number of hashes and no access to the database.

Pure functions: hash values are bytes (32), sizes and indexes are ints. Proofs are computed
from a `Nodes` source that answers the hash of a complete subtree (workflows reads stored
tree nodes and event bodies); verification needs nothing but the proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
# Stored tree nodes (tiles) are the complete subtrees at heights that are multiples of this.
TILE_HEIGHT = 8

# The hash of the complete subtree of height `level` whose leftmost leaf is `index << level`.
Nodes = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof that does not verify, or that was asked for outside the tree."""


def leaf_hash(data: bytes) -> bytes:
    """The hash of a leaf holding `data`: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A tree of `size` leaves and its root hash."""

    size: int
    root: bytes


class TreeBuilder:
    """Builds a tree leaf by leaf, keeping only the roots of its complete subtrees (the
    compact range: at most one per bit of the size), so a million leaves need 20 hashes
    of memory.

    `record` receives every complete subtree whose height is a positive multiple of
    TILE_HEIGHT as it completes: (height, index, hash), the tiles a store keeps.
    """

    __slots__ = ("_marks", "_record", "_stack", "heads", "size")

    def __init__(
        self,
        record: Callable[[int, int, bytes], None] | None = None,
        marks: Iterable[int] = (),
    ) -> None:
        self.size = 0
        self._stack: list[bytes] = []
        self._record = record
        self._marks = frozenset(marks)
        # The tree head at each size in `marks`, once the tree has reached it.
        self.heads: dict[int, TreeHead] = {}

    def push(self, leaf: bytes) -> None:
        """Append one leaf hash."""
        stack, index = self._stack, self.size
        stack.append(leaf)
        height = 0
        while index & 1:
            right = stack.pop()
            stack[-1] = hashlib.sha256(b"\x01" + stack[-1] + right).digest()
            index >>= 1
            height += 1
            if self._record is not None and height % TILE_HEIGHT == 0:
                self._record(height, index, stack[-1])
        self.size += 1
        if self.size in self._marks:
            self.heads[self.size] = self.head()

    def head(self) -> TreeHead:
        """The tree head of the leaves pushed so far."""
        stack = self._stack
        if not stack:
            return TreeHead(0, EMPTY_ROOT)
        root = stack[-1]
        for left in reversed(stack[:-1]):
            root = node_hash(left, root)
        return TreeHead(self.size, root)


def tree_head(leaves: Iterable[bytes]) -> TreeHead:
    """The tree head of `leaves` (leaf hashes, in order)."""
    builder = TreeBuilder()
    for leaf in leaves:
        builder.push(leaf)
    return builder.head()


# -- proofs from complete subtrees --------------------------------------------------------------


def _largest_power_below(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(nodes: Nodes, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range the proof recursion produces (start aligned), from the
    complete subtrees it splits into."""
    size = end - start
    if size <= 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return nodes(level, start >> level)
    split = _largest_power_below(size)
    return node_hash(
        subtree_hash(nodes, start, start + split), subtree_hash(nodes, start + split, end)
    )


def inclusion_proof(nodes: Nodes, index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 2.1.3.1), from
    the leaf's sibling up to the root's child."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        split = _largest_power_below(end - start)
        if index < start + split:
            path.append(subtree_hash(nodes, start + split, end))
            end = start + split
        else:
            path.append(subtree_hash(nodes, start, start + split))
            start += split
    path.reverse()
    return path


def consistency_proof(nodes: Nodes, old_size: int, new_size: int) -> list[bytes]:
    """The proof that the tree of `new_size` leaves extends the one of `old_size` leaves
    (RFC 9162 2.1.4.1); empty when there is nothing to prove (an empty or equal tree)."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of {new_size} leaves cannot extend one of {old_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    start, end, complete = 0, new_size, True
    while True:
        size, wanted = end - start, old_size - start
        if wanted == size:
            if not complete:
                proof.append(subtree_hash(nodes, start, end))
            break
        split = _largest_power_below(size)
        if wanted <= split:
            proof.append(subtree_hash(nodes, start + split, end))
            end = start + split
        else:
            proof.append(subtree_hash(nodes, start, start + split))
            start, complete = start + split, False
    proof.reverse()
    return proof


# -- verification -------------------------------------------------------------------------------


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Iterable[bytes]) -> bytes:
    """The root that `proof` leads to from `leaf` at `index` in a tree of `size` leaves
    (RFC 9162 2.1.3.2). Raises ProofError for a proof of the wrong shape."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        _check_size(sibling)
        if sn == 0:
            raise ProofError("the proof has more hashes than the tree has levels")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof has fewer hashes than the tree has levels")
    return result


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> None:
    """Raise ProofError unless `proof` shows `leaf` at `index` in the tree with `root`."""
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"leaf {index} is not in the tree of {size} leaves with this root")


def verify_consistency(old: TreeHead, new: TreeHead, proof: list[bytes]) -> None:
    """Raise ProofError unless `proof` shows the tree `new` extends the tree `old`
    (RFC 9162 2.1.4.2)."""
    if old.size > new.size:
        raise ProofError(f"a tree of {new.size} leaves cannot extend one of {old.size}")
    if old.size == new.size:
        if proof or old.root != new.root:
            raise ProofError("two trees of the same size must have the same root and no proof")
        return
    if old.size == 0:
        if proof:
            raise ProofError("nothing is to be proven against an empty tree")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    for node in path:
        _check_size(node)
    if old.size & (old.size - 1) == 0:
        path.insert(0, old.root)
    fn, sn = old.size - 1, new.size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("the proof has more hashes than the trees have levels")
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or first != old.root or second != new.root:
        raise ProofError(
            f"the tree of {new.size} leaves does not extend the tree of {old.size} leaves"
        )


def _check_size(value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"a proof hash has {len(value)} bytes, not {HASH_SIZE}")

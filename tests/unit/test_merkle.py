"""The audit trail's Merkle tree against the RFC 6962 test vectors published with the
transparency-dev/merkle Go module (testonly/constants.go, proof/verify_test.go): roots of
every tree of the eight sample leaves, and inclusion and consistency proofs among them."""

from __future__ import annotations

import hashlib
import random

import pytest

from gates.merkle import (
    EMPTY_ROOT,
    ProofError,
    TreeBuilder,
    TreeHead,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion,
    subtree_hash,
    tree_head,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]  # by tree size, from the empty tree


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# (leaf index, tree size, proof): the published vectors number leaves from 1.
INCLUSION = [
    (0, 8, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (5, 8, [h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (1, 5, [h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
    (0, 1, []),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (6, 8, [h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (2, 5, [h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
    (6, 7, [h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
]  # fmt: skip


def nodes_of(leaves: list[bytes]):
    """A Nodes source over leaf hashes held in memory: each complete subtree folded anew."""
    hashes = [leaf_hash(leaf) for leaf in leaves]

    def node(level: int, index: int) -> bytes:
        return tree_head(hashes[index << level : (index + 1) << level]).root

    return node


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_the_root_of_every_tree_of_the_sample_leaves_is_the_published_one(size):
    assert tree_head(leaf_hash(leaf) for leaf in LEAVES[:size]) == TreeHead(size, ROOTS[size])


def test_the_empty_tree_hashes_to_the_hash_of_nothing():
    assert TreeBuilder().head() == TreeHead(0, EMPTY_ROOT)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_are_the_published_ones_and_verify(index, size, proof):
    nodes = nodes_of(LEAVES[:size])

    assert inclusion_proof(nodes, index, size) == proof
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_are_the_published_ones_and_verify(old, new, proof):
    nodes = nodes_of(LEAVES[:new])

    assert consistency_proof(nodes, old, new) == proof
    verify_consistency(TreeHead(old, ROOTS[old]), TreeHead(new, ROOTS[new]), proof)


def corrupted_inclusions(index, size, proof, root, leaf):
    """The ways a good inclusion proof is bent that must all fail (as the vectors' own
    tests bend them)."""
    yield index + 1, size, leaf, proof, root
    if index:
        yield index - 1, size, leaf, proof, root
    yield index ^ 2, size, leaf, proof, root
    yield index, size * 2, leaf, proof, root
    yield index, size // 2, leaf, proof, root
    yield index, size, b"WrongLeaf", proof, root
    yield index, size, leaf, proof, EMPTY_ROOT
    yield index, size, leaf, [*proof, root], root
    yield index, size, leaf, [root, *proof], root
    yield index, size, leaf, [*proof, b""], root
    for place in range(len(proof)):
        bent = list(proof)
        bent[place] = bytes([bent[place][0] ^ 8]) + bent[place][1:]
        yield index, size, leaf, bent, root
    if proof:
        yield index, size, leaf, proof[:-1], root


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[:4])
def test_a_bent_inclusion_proof_never_verifies(index, size, proof):
    leaf = leaf_hash(LEAVES[index])
    for case in corrupted_inclusions(index, size, proof, ROOTS[size], leaf):
        with pytest.raises(ProofError):
            verify_inclusion(*case)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY[1:])
def test_a_bent_consistency_proof_never_verifies(old, new, proof):
    first, second = TreeHead(old, ROOTS[old]), TreeHead(new, ROOTS[new])
    cases = [
        (TreeHead(old - 1, ROOTS[old - 1]), second, proof),
        (TreeHead(old + 1, ROOTS[old + 1]), second, proof),
        (first, TreeHead(new, ROOTS[new - 1]), proof),
        (TreeHead(old, b"\x00" * 32), second, proof),
        (second, first, proof),
        (first, second, []),
        (first, second, proof[:-1]),
        (first, second, [*proof, ROOTS[old]]),
        (first, second, [ROOTS[new], *proof]),
    ]
    for place in range(len(proof)):
        bent = list(proof)
        bent[place] = bytes([bent[place][0] ^ 16]) + bent[place][1:]
        cases.append((first, second, bent))
    for case in cases:
        with pytest.raises(ProofError):
            verify_consistency(*case)


def test_random_trees_prove_every_leaf_and_every_earlier_tree():
    rng = random.Random(6962)
    for size in (1, 2, 3, 7, 8, 9, 255, 256, 257, 1000):
        leaves = [rng.randbytes(rng.randrange(0, 40)) for _ in range(size)]
        nodes = nodes_of(leaves)
        root = tree_head(map(leaf_hash, leaves)).root
        for index in {0, size - 1, rng.randrange(size)}:
            path = inclusion_proof(nodes, index, size)
            assert root_from_inclusion(index, size, leaf_hash(leaves[index]), path) == root
        for old in {1, size // 2 or 1, size - 1 or 1}:
            earlier = TreeHead(old, tree_head(map(leaf_hash, leaves[:old])).root)
            verify_consistency(earlier, TreeHead(size, root), consistency_proof(nodes, old, size))


def test_the_builder_hands_over_every_complete_subtree_of_a_tile_height():
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(256 * 3 + 17)]
    tiles: dict[tuple[int, int], bytes] = {}

    builder = TreeBuilder(lambda level, index, value: tiles.__setitem__((level, index), value))
    for leaf in leaves:
        builder.push(leaf)

    assert sorted(tiles) == [(8, 0), (8, 1), (8, 2)]
    assert tiles[(8, 1)] == tree_head(leaves[256:512]).root


def test_a_subtree_is_folded_from_the_complete_subtrees_it_splits_into():
    leaves = [bytes([i]) for i in range(13)]
    nodes = nodes_of(leaves)

    assert subtree_hash(nodes, 8, 13) == tree_head(map(leaf_hash, leaves[8:13])).root
    assert node_hash(subtree_hash(nodes, 0, 8), subtree_hash(nodes, 8, 13)) == (
        tree_head(map(leaf_hash, leaves)).root
    )
    assert hashlib.sha256(b"").digest() == subtree_hash(nodes, 4, 4)

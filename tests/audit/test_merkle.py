"""Tests for the RFC 6962 Merkle tree module against published vectors and a recursive reference."""

import hashlib
from collections.abc import Sequence
from functools import cache

import pytest

from audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    MerkleError,
    Tree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# Leaves and hashes of the Certificate Transparency reference tree, as published in transparency-dev/merkle
# (testonly/constants.go and proof/verify_test.go).
RFC_LEAVES = [
    bytes.fromhex(""),
    bytes.fromhex("00"),
    bytes.fromhex("10"),
    bytes.fromhex("2021"),
    bytes.fromhex("3031"),
    bytes.fromhex("40414243"),
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]
RFC_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Perfect-subtree hashes of the reference tree by level (0 is the leaves), then by position within the level.
RFC_NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
# (index, size, audit path) with zero-based indices.
RFC_INCLUSION_PROOFS = [
    (0, 1, []),
    (0, 8, [RFC_NODES[0][1], RFC_NODES[1][1], RFC_NODES[2][1]]),
    (5, 8, [RFC_NODES[0][4], RFC_NODES[1][3], RFC_NODES[2][0]]),
    (2, 3, [RFC_NODES[1][0]]),
    (1, 5, [RFC_NODES[0][0], RFC_NODES[1][1], RFC_NODES[0][4]]),
]
# (old size, new size, consistency proof).
RFC_CONSISTENCY_PROOFS = [
    (1, 1, []),
    (1, 8, [RFC_NODES[0][1], RFC_NODES[1][1], RFC_NODES[2][1]]),
    (6, 8, [RFC_NODES[1][2], RFC_NODES[1][3], RFC_NODES[2][0]]),
    (2, 5, [RFC_NODES[1][1], RFC_NODES[0][4]]),
    (6, 7, [RFC_NODES[1][2], RFC_NODES[0][6], RFC_NODES[2][0]]),
]

MAX_SIZE = 64
LEAVES = tuple(RFC_LEAVES + [f"entry {i}".encode() for i in range(len(RFC_LEAVES), MAX_SIZE)])
SIZES = range(1, MAX_SIZE + 1)
OTHER_HASH = hashlib.sha256(b"not a node of any tree here").digest()


def ref_split(n: int) -> int:
    """Return the largest power of two strictly smaller than n, as RFC 6962 defines k."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def ref_mth(data: tuple[bytes, ...]) -> bytes:
    """Return MTH(D[n]) by the recursive definition of RFC 6962 section 2.1."""
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = ref_split(len(data))
    return hashlib.sha256(b"\x01" + ref_mth(data[:k]) + ref_mth(data[k:])).digest()


def ref_path(m: int, data: tuple[bytes, ...]) -> list[bytes]:
    """Return PATH(m, D[n]) by the recursive definition of RFC 6962 section 2.1.1."""
    if len(data) == 1:
        return []
    k = ref_split(len(data))
    if m < k:
        return [*ref_path(m, data[:k]), ref_mth(data[k:])]
    return [*ref_path(m - k, data[k:]), ref_mth(data[:k])]


def ref_subproof(m: int, data: tuple[bytes, ...], b: bool) -> list[bytes]:
    """Return SUBPROOF(m, D[n], b) by the recursive definition of RFC 6962 section 2.1.2."""
    if m == len(data):
        return [] if b else [ref_mth(data)]
    k = ref_split(len(data))
    if m <= k:
        return [*ref_subproof(m, data[:k], b), ref_mth(data[k:])]
    return [*ref_subproof(m - k, data[k:], False), ref_mth(data[:k])]


def ref_proof(m: int, data: tuple[bytes, ...]) -> list[bytes]:
    """Return PROOF(m, D[n]) by the recursive definition of RFC 6962 section 2.1.2."""
    return ref_subproof(m, data, True)


def ref_root(size: int) -> bytes:
    """Return the reference root of the first ``size`` test leaves."""
    return ref_mth(LEAVES[:size])


def flipped(proof: Sequence[bytes], position: int) -> list[bytes]:
    """Return a copy of ``proof`` with one bit of one element inverted."""
    element = proof[position]
    return [*proof[:position], bytes([element[0] ^ 0x08]) + element[1:], *proof[position + 1 :]]


def h(hex_digest: str) -> bytes:
    """Decode a hex hash."""
    return bytes.fromhex(hex_digest)


def test_reference_implementation_reproduces_published_roots() -> None:
    for size, expected in enumerate(RFC_ROOTS):
        assert ref_mth(tuple(RFC_LEAVES[:size])).hex() == expected


@pytest.mark.parametrize("size", range(len(RFC_ROOTS)))
def test_root_matches_published_vectors(size: int) -> None:
    assert root(RFC_LEAVES[:size]).hex() == RFC_ROOTS[size]


def test_empty_root_is_hash_of_empty_string() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT
    assert Frontier().root() == EMPTY_ROOT


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"") == h(RFC_NODES[0][0])
    assert leaf_hash(RFC_LEAVES[1]) == h(RFC_NODES[0][1])
    assert node_hash(h(RFC_NODES[0][0]), h(RFC_NODES[0][1])) == h(RFC_NODES[1][0])
    assert leaf_hash(b"") != EMPTY_ROOT
    assert len(leaf_hash(b"x")) == len(node_hash(b"", b"")) == 32


@pytest.mark.parametrize(("index", "size", "path"), RFC_INCLUSION_PROOFS)
def test_inclusion_proof_matches_published_vectors(index: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(RFC_LEAVES, index, size)
    assert [element.hex() for element in proof] == path
    verify_inclusion(RFC_LEAVES[index], index, size, proof, h(RFC_ROOTS[size]))


@pytest.mark.parametrize(("old_size", "new_size", "expected"), RFC_CONSISTENCY_PROOFS)
def test_consistency_proof_matches_published_vectors(old_size: int, new_size: int, expected: list[str]) -> None:
    proof = consistency_proof(RFC_LEAVES, old_size, new_size)
    assert [element.hex() for element in proof] == expected
    verify_consistency(old_size, new_size, h(RFC_ROOTS[old_size]), h(RFC_ROOTS[new_size]), proof)


@pytest.mark.parametrize("size", range(MAX_SIZE + 1))
def test_root_matches_reference(size: int) -> None:
    assert root(LEAVES[:size]) == ref_root(size)


@pytest.mark.parametrize("size", range(MAX_SIZE + 1))
def test_tree_root_and_proofs_match_reference(size: int) -> None:
    tree = Tree(LEAVES[:size])
    assert tree.root() == ref_root(size)
    for index in range(size):
        assert tree.inclusion_proof(index) == ref_path(index, LEAVES[:size])
    with pytest.raises(MerkleError):
        tree.inclusion_proof(size)


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proofs_match_reference_and_verify(size: int) -> None:
    for index in range(size):
        proof = inclusion_proof(LEAVES, index, size)
        assert proof == ref_path(index, LEAVES[:size])
        verify_inclusion(LEAVES[index], index, size, proof, ref_root(size))


@pytest.mark.parametrize("new_size", SIZES)
def test_consistency_proofs_match_reference_and_verify(new_size: int) -> None:
    for old_size in range(1, new_size + 1):
        proof = consistency_proof(LEAVES, old_size, new_size)
        assert proof == ref_proof(old_size, LEAVES[:new_size])
        verify_consistency(old_size, new_size, ref_root(old_size), ref_root(new_size), proof)


def test_frontier_hashes_match_published_compact_ranges() -> None:
    nodes = [[h(value) for value in level] for level in RFC_NODES]
    expected = [
        [],
        [nodes[0][0]],
        [nodes[1][0]],
        [nodes[1][0], nodes[0][2]],
        [nodes[2][0]],
        [nodes[2][0], nodes[0][4]],
        [nodes[2][0], nodes[1][2]],
        [nodes[2][0], nodes[1][2], nodes[0][6]],
        [nodes[3][0]],
    ]
    frontier = Frontier()
    assert frontier.hashes == expected[0]
    for size, data in enumerate(RFC_LEAVES, start=1):
        frontier.append(data)
        assert frontier.hashes == expected[size]


def test_frontier_root_equals_root_at_every_size() -> None:
    leaves = [f"record {i}".encode() for i in range(200)]
    frontier = Frontier()
    assert frontier.size == 0
    assert frontier.root() == root([])
    for size, data in enumerate(leaves, start=1):
        frontier.append(data)
        assert frontier.size == size
        assert frontier.root() == root(leaves[:size])


def test_frontier_round_trips_through_its_hashes() -> None:
    leaves = [f"record {i}".encode() for i in range(80)]
    frontier = Frontier()
    for size, data in enumerate(leaves):
        restored = Frontier.from_hashes(frontier.size, frontier.hashes)
        assert restored.size == size
        assert restored.hashes == frontier.hashes
        assert restored.root() == frontier.root()
        for more in leaves[size:]:
            restored.append(more)
        assert restored.root() == root(leaves)
        frontier.append(data)


def test_frontier_hashes_are_a_copy() -> None:
    frontier = Frontier()
    frontier.append(b"a")
    frontier.hashes.clear()
    assert frontier.hashes == [leaf_hash(b"a")]
    assert frontier.root() == root([b"a"])


@pytest.mark.parametrize(
    ("size", "hashes"),
    [
        pytest.param(-1, [], id="negative size"),
        pytest.param(0, [EMPTY_ROOT], id="hash for empty tree"),
        pytest.param(3, [EMPTY_ROOT], id="too few hashes"),
        pytest.param(4, [EMPTY_ROOT, EMPTY_ROOT], id="too many hashes"),
        pytest.param(1, [EMPTY_ROOT[:31]], id="short hash"),
        pytest.param(3, [EMPTY_ROOT, EMPTY_ROOT + b"\x00"], id="long hash"),
    ],
)
def test_frontier_from_bad_hashes_raises(size: int, hashes: list[bytes]) -> None:
    with pytest.raises(MerkleError):
        Frontier.from_hashes(size, hashes)


@pytest.mark.parametrize("size", SIZES)
def test_tampered_inclusion_proofs_fail(size: int) -> None:
    expected_root = ref_root(size)
    for index in range(size):
        leaf = LEAVES[index]
        proof = inclusion_proof(LEAVES, index, size)
        for position in range(len(proof)):
            with pytest.raises(MerkleError):
                verify_inclusion(leaf, index, size, flipped(proof, position), expected_root)
        for wrong_index in {index - 1, index + 1, index ^ 1, index ^ 2, size - 1 - index} - {index}:
            with pytest.raises(MerkleError):
                verify_inclusion(leaf, wrong_index, size, proof, expected_root)
        # A proof verifies only for the tree it was made for, so against another size's true root it must fail
        # unless that size happens to give this leaf the same audit path.
        for wrong_size in {size - 1, size + 1, size * 2, size // 2} - {size}:
            if wrong_size > index and ref_path(index, LEAVES[:wrong_size]) != proof:
                with pytest.raises(MerkleError):
                    verify_inclusion(leaf, index, wrong_size, proof, ref_mth(LEAVES[:wrong_size]))
        with pytest.raises(MerkleError):
            verify_inclusion(b"other data", index, size, proof, expected_root)
        for wrong_root in (EMPTY_ROOT, OTHER_HASH, leaf_hash(leaf)):
            if wrong_root != expected_root:
                with pytest.raises(MerkleError):
                    verify_inclusion(leaf, index, size, proof, wrong_root)
        with pytest.raises(MerkleError, match="too long"):
            verify_inclusion(leaf, index, size, [*proof, OTHER_HASH], expected_root)
        with pytest.raises(MerkleError):
            verify_inclusion(leaf, index, size, [OTHER_HASH, *proof], expected_root)
        if proof:
            with pytest.raises(MerkleError, match="too short"):
                verify_inclusion(leaf, index, size, proof[:-1], expected_root)
            with pytest.raises(MerkleError):
                verify_inclusion(leaf, index, size, proof[1:], expected_root)


@pytest.mark.parametrize("new_size", SIZES)
def test_tampered_consistency_proofs_fail(new_size: int) -> None:
    new_root = ref_root(new_size)
    for old_size in range(1, new_size):
        old_root = ref_root(old_size)
        proof = consistency_proof(LEAVES, old_size, new_size)
        for position in range(len(proof)):
            with pytest.raises(MerkleError):
                verify_consistency(old_size, new_size, old_root, new_root, flipped(proof, position))
        for wrong_old, wrong_new in (
            (old_size - 1, new_size),
            (old_size + 1, new_size),
            (old_size ^ 2, new_size),
            (old_size, new_size + 1),
            (old_size, new_size * 2),
            (old_size, new_size - 1),
        ):
            if 1 <= wrong_old <= wrong_new <= MAX_SIZE and ref_proof(wrong_old, LEAVES[:wrong_new]) != proof:
                with pytest.raises(MerkleError):
                    verify_consistency(wrong_old, wrong_new, ref_root(wrong_old), ref_root(wrong_new), proof)
        for wrong_old_root, wrong_new_root in (
            (new_root, old_root),
            (OTHER_HASH, new_root),
            (old_root, OTHER_HASH),
            (EMPTY_ROOT, new_root),
        ):
            with pytest.raises(MerkleError):
                verify_consistency(old_size, new_size, wrong_old_root, wrong_new_root, proof)
        with pytest.raises(MerkleError, match="empty"):
            verify_consistency(old_size, new_size, old_root, new_root, [])
        for extended in ([*proof, OTHER_HASH], [*proof, old_root], [*proof, new_root]):
            with pytest.raises(MerkleError):
                verify_consistency(old_size, new_size, old_root, new_root, extended)
        for prefixed in ([OTHER_HASH, *proof], [old_root, *proof], [proof[0], *proof]):
            with pytest.raises(MerkleError):
                verify_consistency(old_size, new_size, old_root, new_root, prefixed)
        if len(proof) > 1:
            with pytest.raises(MerkleError):
                verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])


@pytest.mark.parametrize(
    ("index", "size"),
    [(-1, 4), (4, 4), (5, 4), (0, 0), (0, -1), (0, MAX_SIZE + 1)],
)
def test_inclusion_proof_rejects_bad_arguments(index: int, size: int) -> None:
    with pytest.raises(MerkleError, match="out of range"):
        inclusion_proof(LEAVES, index, size)


@pytest.mark.parametrize(
    ("old_size", "new_size"),
    [(0, 0), (0, 5), (-1, 5), (6, 5), (1, MAX_SIZE + 1)],
)
def test_consistency_proof_rejects_bad_arguments(old_size: int, new_size: int) -> None:
    with pytest.raises(MerkleError, match="out of range"):
        consistency_proof(LEAVES, old_size, new_size)


def test_consistency_proof_between_equal_sizes_is_empty() -> None:
    assert consistency_proof(LEAVES, 5, 5) == []
    verify_consistency(5, 5, ref_root(5), ref_root(5), [])


@pytest.mark.parametrize(
    ("index", "size"),
    [(-1, 4), (4, 4), (5, 4), (0, 0), (0, -1)],
)
def test_verify_inclusion_rejects_out_of_range_index(index: int, size: int) -> None:
    with pytest.raises(MerkleError, match="out of range"):
        verify_inclusion(LEAVES[0], index, size, [], ref_root(1))


def test_verify_inclusion_rejects_malformed_hashes() -> None:
    proof = inclusion_proof(LEAVES, 2, 5)
    with pytest.raises(MerkleError, match="expected root must be 32 bytes"):
        verify_inclusion(LEAVES[2], 2, 5, proof, ref_root(5)[:31])
    with pytest.raises(MerkleError, match="element 1 must be 32 bytes"):
        verify_inclusion(LEAVES[2], 2, 5, [proof[0], proof[1] + b"\x00", proof[2]], ref_root(5))


def test_verify_inclusion_for_single_leaf_tree() -> None:
    verify_inclusion(b"data", 0, 1, [], leaf_hash(b"data"))
    with pytest.raises(MerkleError, match="does not lead to the expected root"):
        verify_inclusion(b"data", 0, 1, [], leaf_hash(b"other"))


@pytest.mark.parametrize(
    ("old_size", "new_size", "proof", "message"),
    [
        pytest.param(0, 0, [], "out of range", id="both empty"),
        pytest.param(0, 3, [], "out of range", id="old empty"),
        pytest.param(-1, 3, [], "out of range", id="old negative"),
        pytest.param(4, 3, [], "out of range", id="old larger"),
        pytest.param(3, 3, [OTHER_HASH], "must be empty", id="equal sizes non-empty proof"),
        pytest.param(3, 5, [], "is empty", id="empty proof"),
    ],
)
def test_verify_consistency_rejects_bad_arguments(
    old_size: int, new_size: int, proof: list[bytes], message: str
) -> None:
    old_root = ref_root(max(old_size, 0))
    with pytest.raises(MerkleError, match=message):
        verify_consistency(old_size, new_size, old_root, old_root, proof)


def test_verify_consistency_between_equal_sizes_requires_equal_roots() -> None:
    with pytest.raises(MerkleError, match="roots differ"):
        verify_consistency(3, 3, ref_root(3), ref_root(4), [])


def test_verify_consistency_rejects_malformed_hashes() -> None:
    proof = consistency_proof(LEAVES, 3, 7)
    with pytest.raises(MerkleError, match="old root must be 32 bytes"):
        verify_consistency(3, 7, ref_root(3)[:16], ref_root(7), proof)
    with pytest.raises(MerkleError, match="new root must be 32 bytes"):
        verify_consistency(3, 7, ref_root(3), b"", proof)
    with pytest.raises(MerkleError, match="element 0 must be 32 bytes"):
        verify_consistency(3, 7, ref_root(3), ref_root(7), [b"", *proof[1:]])


def test_root_and_frontier_agree_at_scale() -> None:
    leaves = [i.to_bytes(4, "big") for i in range(100_000)]
    expected = root(leaves)
    frontier = Frontier()
    for data in leaves:
        frontier.append(data)
    assert frontier.size == len(leaves)
    assert frontier.root() == expected
    verify_inclusion(leaves[76_543], 76_543, 100_000, inclusion_proof(leaves, 76_543, 100_000), expected)
    verify_consistency(65_537, 100_000, root(leaves[:65_537]), expected, consistency_proof(leaves, 65_537, 100_000))

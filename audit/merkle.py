"""Merkle tree hashing, incremental roots, and inclusion and consistency proofs for an append-only log.

The tree follows RFC 6962 section 2.1 exactly (restated unchanged in RFC 9162 section 2.1) with SHA-256:
the hash of an empty list is SHA-256 of the empty string, a leaf hash is SHA-256(0x00 || data), and an
interior node hash is SHA-256(0x01 || left || right), the left subtree being the largest power of two
strictly smaller than the number of leaves. Every hash is 32 bytes.

Guarantees:

- ``root`` computes the Merkle Tree Hash (MTH) of a list of leaf data items, iteratively and in
  O(log n) memory.
- ``Frontier`` holds only the roots of the perfect subtrees given by the binary decomposition of the
  tree size (largest first), and its ``root()`` equals ``root`` of every leaf appended so far.
- ``inclusion_proof`` and ``consistency_proof`` return exactly PATH(m, D[n]) of RFC 6962 section 2.1.1
  and PROOF(m, D[n]) of section 2.1.2, hashing O(n) nodes per proof.
- ``verify_inclusion`` and ``verify_consistency`` implement the verification algorithms of RFC 9162
  sections 2.1.3.2 and 2.1.4.2, need no leaves, and return only when the proof is valid.

The module imports only the standard library so that an offline verifier can use it without Django.

Exceptions: every invalid argument (negative or out-of-range index or size, a hash that is not 32 bytes,
a malformed ``Frontier`` state) and every failed verification raises ``MerkleError``, a ``ValueError``.
Verification never reports failure by returning a value.
"""

import hashlib
from collections.abc import Iterable, Sequence
from typing import Self

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "MerkleError",
    "Tree",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class MerkleError(ValueError):
    """Raised for invalid Merkle tree arguments and failed proof verification."""


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 hash of one leaf's data."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 hash of an interior node from its children's hashes."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """Return the Merkle Tree Hash of a list of leaf data items."""
    return _range_root(leaves, 0, len(leaves))


class Frontier:
    """The compact range of a growing tree: the perfect-subtree roots of its size's binary decomposition."""

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        """Create the frontier of an empty tree."""
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def from_hashes(cls, size: int, hashes: Sequence[bytes]) -> Self:
        """Rebuild a frontier from a tree size and its subtree roots, largest subtree first."""
        if size < 0:
            raise MerkleError(f"tree size must not be negative, got {size}")
        if len(hashes) != size.bit_count():
            raise MerkleError(f"a tree of size {size} has {size.bit_count()} frontier hashes, got {len(hashes)}")
        for position, value in enumerate(hashes):
            _check_hash(value, f"frontier hash {position}")
        frontier = cls()
        frontier._size = size
        frontier._hashes = [bytes(value) for value in hashes]
        return frontier

    @property
    def size(self) -> int:
        """Return the number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """Return a copy of the subtree roots, largest subtree first."""
        return list(self._hashes)

    def append(self, data: bytes) -> None:
        """Append one leaf's data to the tree."""
        self.extend((data,))

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append each leaf's data to the tree in turn."""
        sha256, hashes, size = hashlib.sha256, self._hashes, self._size
        for data in leaves:
            current = sha256(_LEAF_PREFIX + data).digest()
            # Each trailing 1-bit of the old size is a perfect subtree of the same height as the new one, so they merge.
            carry = size
            while carry & 1:
                current = sha256(_NODE_PREFIX + hashes.pop() + current).digest()
                carry >>= 1
            hashes.append(current)
            size += 1
            self._size = size

    def root(self) -> bytes:
        """Return the Merkle Tree Hash of every leaf appended so far."""
        return _fold(self._hashes)


class Tree:
    """A whole tree held level by level, for answering many inclusion proofs at O(log n) each.

    Pairing nodes bottom-up and carrying an odd last node up unchanged builds exactly the
    RFC 6962 tree, whose left subtree is always the largest power of two, so a leaf's audit path
    is its sibling at each level where it has one. Memory is about 2n hashes.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        level = [leaf_hash(data) for data in leaves]
        self._levels = [level]
        while len(level) > 1:
            paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                paired.append(level[-1])
            level = paired
            self._levels.append(level)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def root(self) -> bytes:
        return self._levels[-1][0] if self.size else EMPTY_ROOT

    def inclusion_proof(self, index: int) -> list[bytes]:
        """Return the audit path of leaf ``index`` in this tree."""
        if index < 0 or index >= self.size:
            raise MerkleError(f"leaf index {index} is out of range for tree size {self.size}")
        path = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """Return the audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
    if size < 0 or size > len(leaves):
        raise MerkleError(f"tree size {size} is out of range for {len(leaves)} leaves")
    if index < 0 or index >= size:
        raise MerkleError(f"leaf index {index} is out of range for tree size {size}")
    path: list[bytes] = []
    low, high = 0, size
    while high - low > 1:
        middle = low + _split(high - low)
        if index < middle:
            path.append(_range_root(leaves, middle, high))
            high = middle
        else:
            path.append(_range_root(leaves, low, middle))
            low = middle
    # The descent collects siblings root first; the RFC lists them leaf first.
    path.reverse()
    return path


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """Return the proof that the tree of ``old_size`` leaves is a prefix of the tree of ``new_size`` leaves."""
    if new_size > len(leaves):
        raise MerkleError(f"new tree size {new_size} is out of range for {len(leaves)} leaves")
    if old_size < 1 or old_size > new_size:
        raise MerkleError(f"old tree size {old_size} is out of range for new tree size {new_size}")
    proof: list[bytes] = []
    low, high = 0, new_size
    # RFC 6962's flag b: the old root is omitted while the old tree is a left-edge subtree the verifier already knows.
    old_root_known = True
    while old_size - low != high - low:
        middle = low + _split(high - low)
        if old_size <= middle:
            proof.append(_range_root(leaves, middle, high))
            high = middle
        else:
            proof.append(_range_root(leaves, low, middle))
            low = middle
            old_root_known = False
    if not old_root_known:
        proof.append(_range_root(leaves, low, high))
    # The descent collects nodes root first; the RFC lists them leaf first.
    proof.reverse()
    return proof


def verify_inclusion(leaf_data: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes) -> None:
    """Check that ``proof`` shows ``leaf_data`` at ``index`` in the tree of ``size`` leaves with ``expected_root``."""
    if index < 0 or index >= size:
        raise MerkleError(f"leaf index {index} is out of range for tree size {size}")
    _check_hash(expected_root, "expected root")
    for position, element in enumerate(proof):
        _check_hash(element, f"inclusion proof element {position}")
    fn, sn = index, size - 1
    computed = leaf_hash(leaf_data)
    for element in proof:
        if sn == 0:
            raise MerkleError(f"inclusion proof is too long for leaf {index} in tree size {size}")
        if fn & 1 or fn == sn:
            computed = node_hash(element, computed)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            computed = node_hash(computed, element)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleError(f"inclusion proof is too short for leaf {index} in tree size {size}")
    if computed != expected_root:
        raise MerkleError(f"inclusion proof for leaf {index} in tree size {size} does not lead to the expected root")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check that ``proof`` shows the tree with ``old_root`` is a prefix of the tree with ``new_root``."""
    if old_size < 1 or old_size > new_size:
        raise MerkleError(f"old tree size {old_size} is out of range for new tree size {new_size}")
    _check_hash(old_root, "old root")
    _check_hash(new_root, "new root")
    for position, element in enumerate(proof):
        _check_hash(element, f"consistency proof element {position}")
    if old_size == new_size:
        if proof:
            raise MerkleError(f"consistency proof between equal tree sizes {old_size} must be empty")
        if old_root != new_root:
            raise MerkleError(f"roots differ for equal tree sizes {old_size}")
        return
    if not proof:
        raise MerkleError(f"consistency proof from tree size {old_size} to {new_size} is empty")
    # A power-of-two old tree is a subtree of the new one, so the proof leaves its root for the verifier to supply.
    path = [old_root, *proof] if old_size.bit_count() == 1 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    elements = iter(path)
    old_computed = new_computed = next(elements)
    for element in elements:
        if sn == 0:
            raise MerkleError(f"consistency proof from tree size {old_size} to {new_size} is too long")
        if fn & 1 or fn == sn:
            old_computed = node_hash(element, old_computed)
            new_computed = node_hash(element, new_computed)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            new_computed = node_hash(new_computed, element)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleError(f"consistency proof from tree size {old_size} to {new_size} is too short")
    if old_computed != old_root:
        raise MerkleError(f"consistency proof does not lead to the old root of tree size {old_size}")
    if new_computed != new_root:
        raise MerkleError(f"consistency proof does not lead to the new root of tree size {new_size}")


def _split(count: int) -> int:
    """Return the largest power of two strictly smaller than ``count``, which must be at least 2."""
    return 1 << ((count - 1).bit_length() - 1)


def _range_root(leaves: Sequence[bytes], low: int, high: int) -> bytes:
    """Return the Merkle Tree Hash of ``leaves[low:high]`` without copying the slice."""
    sha256 = hashlib.sha256
    stack: list[bytes] = []
    for offset in range(high - low):
        current = sha256(_LEAF_PREFIX + leaves[low + offset]).digest()
        carry = offset
        while carry & 1:
            current = sha256(_NODE_PREFIX + stack.pop() + current).digest()
            carry >>= 1
        stack.append(current)
    return _fold(stack)


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Return the tree root from perfect-subtree roots listed largest first."""
    if not hashes:
        return EMPTY_ROOT
    # The MTH splits off the largest perfect subtree first, so the smaller subtrees combine right to left.
    current = hashes[-1]
    for left in reversed(hashes[:-1]):
        current = node_hash(left, current)
    return current


def _check_hash(value: bytes, what: str) -> None:
    """Raise ``MerkleError`` unless ``value`` is a 32-byte hash."""
    if len(value) != HASH_SIZE:
        raise MerkleError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")

"""The Merkle tree of the public log, hashed as RFC 9162 (Certificate Transparency 2.0) §2.1,
so any RFC 6962/9162 verifier checks what it proves.

    leaf hash  = SHA-256(0x00 || entry)
    node hash  = SHA-256(0x01 || left || right)
    MTH(D[n])  = the empty string's hash for n = 0, the leaf hash for n = 1, else
                 node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two below n

Nothing is recomputed from the leaves: the log stores the hash of every *complete* subtree
(level ``l``, index ``i`` covers leaves ``[i·2^l, (i+1)·2^l)``), each written once when its
last leaf arrives and never changed (the log only grows). Every hash a proof or a root
needs is one of those, or is made of at most log2(n) of them: in the recursion above the
left part ``D[a:a+k]`` is always an aligned complete subtree, and only the right remainder
recurses. An inclusion or consistency proof at 10 million entries therefore reads a few
dozen stored hashes.

``Tree`` reads hashes through a function (``node(level, index) -> bytes``), so the same code
serves a dict in memory and the database table; ``appended`` lists the subtree hashes a new
leaf completes. The verifiers live apart, in the tests, written from the RFC's text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeReader = Callable[[int, int], bytes]


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2): where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def appended(index: int, leaf: bytes, node: NodeReader) -> Iterator[tuple[int, int, bytes]]:
    """The (level, index, hash) of every subtree that leaf ``index`` completes, the leaf
    itself first. ``node`` reads the hashes already stored (the left siblings)."""
    level, at, value = 0, index, leaf
    yield level, at, value
    while at & 1:  # a right child: its parent is complete now
        value = node_hash(node(level, at - 1), value)
        level, at = level + 1, at >> 1
        yield level, at, value


class Tree:
    """The tree of the first ``size`` leaves, read through ``node``."""

    def __init__(self, size: int, node: NodeReader) -> None:
        if size < 0:
            raise ValueError("a tree's size is not negative")
        self.size = size
        self.node = node

    def root(self) -> bytes:
        return self.hash(0, self.size)

    def hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) of a range the recursion produces (``start`` a multiple of the
        largest power of two not above ``end - start``)."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0:  # a complete subtree, aligned: stored
            level = n.bit_length() - 1
            return self.node(level, start >> level)
        k = split(n)
        return node_hash(self.hash(start, start + k), self.hash(start + k, end))

    def inclusion_proof(self, index: int) -> list[bytes]:
        """PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf to root."""
        if not 0 <= index < self.size:
            raise ValueError(f"index {index} is not in a tree of size {self.size}")
        return self._path(index, 0, self.size)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = split(n)
        if m < k:
            return [*self._path(m, start, start + k), self.hash(start + k, end)]
        return [*self._path(m - k, start + k, end), self.hash(start, start + k)]

    def consistency_proof(self, first: int) -> list[bytes]:
        """PROOF(first, D[size]) (RFC 9162 §2.1.4.1): that the tree of ``first`` leaves is a
        prefix of this one. Empty for 0 < first = size."""
        if not 0 < first <= self.size:
            raise ValueError(f"a consistency proof needs 0 < first <= {self.size}")
        return self._subproof(first, 0, self.size, True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self.hash(start, end)]
        k = split(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, whole), self.hash(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self.hash(start, start + k)]


class MemoryTree:
    """A tree kept in a dict (tests, the verifier's recomputation, benchmarks)."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0

    def append(self, entry: bytes) -> int:
        index = self.size
        for level, at, value in appended(index, leaf_hash(entry), self._node):
            self.nodes[level, at] = value
        self.size += 1
        return index

    def _node(self, level: int, index: int) -> bytes:
        return self.nodes[level, index]

    def at(self, size: int | None = None) -> Tree:
        return Tree(self.size if size is None else size, self._node)

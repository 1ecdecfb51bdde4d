"""The product's proof verifier (``credit.translog.verify``) against the tests' own reading
of RFC 9162 (``tests/translog/rfc9162.py``) and the tree that builds the log: every proof of
every tree size from 1 to 300 holds for both, random pairs of sizes too; the known answers
of Certificate Transparency hold; a single flipped bit anywhere (a proof hash, a root, the
leaf) and a wrong size or index fail, for both verifiers alike."""

from __future__ import annotations

import random

import pytest

from credit.translog import verify
from credit.translog.merkle import MemoryTree
from tests.translog import rfc9162
from tests.translog.test_merkle import CT_CONSISTENCY, CT_ENTRIES, CT_INCLUSION, CT_ROOTS

SIZES = 300


@pytest.fixture(scope="module")
def log() -> tuple[MemoryTree, list[bytes]]:
    rng = random.Random(2114)
    entries = [i.to_bytes(2, "big") + rng.randbytes(rng.randrange(0, 40)) for i in range(SIZES)]
    tree = MemoryTree()
    for entry in entries:
        tree.append(entry)
    return tree, entries


def _flips(value: bytes) -> list[bytes]:
    """``value`` with one bit flipped, for every bit of it."""
    return [
        value[:i] + bytes([value[i] ^ 1 << bit]) + value[i + 1 :]
        for i in range(len(value))
        for bit in range(8)
    ]


def test_the_certificate_transparency_known_answers() -> None:
    tree = MemoryTree()
    for entry in CT_ENTRIES:
        tree.append(entry)
    for (index, size), path in CT_INCLUSION.items():
        proof = [bytes.fromhex(h) for h in path]
        leaf = rfc9162.leaf(CT_ENTRIES[index])
        assert verify.verify_inclusion(index, size, leaf, proof, bytes.fromhex(CT_ROOTS[size]))
    for (first, second), path in CT_CONSISTENCY.items():
        proof = [bytes.fromhex(h) for h in path]
        roots = bytes.fromhex(CT_ROOTS[first]), bytes.fromhex(CT_ROOTS[second])
        assert verify.verify_consistency(first, second, *roots, proof)


def test_every_inclusion_proof_to_300_as_the_independent_verifier(log) -> None:
    tree, entries = log
    checked = 0
    for size in range(1, SIZES + 1):
        head = tree.at(size)
        root = head.root()
        for index in range(size):
            proof = head.inclusion_proof(index)
            leaf = rfc9162.leaf(entries[index])
            assert verify.verify_inclusion(index, size, leaf, proof, root), (index, size)
            assert rfc9162.verify_inclusion(index, size, leaf, proof, root)
            # the proof of a neighbour does not hold; at another size, as the RFC says
            other = (index + 1) % size
            if other != index:
                assert not verify.verify_inclusion(other, size, leaf, proof, root)
            assert verify.verify_inclusion(
                index, size + 1, leaf, proof, root
            ) == rfc9162.verify_inclusion(index, size + 1, leaf, proof, root)
            checked += 1
    assert checked == SIZES * (SIZES + 1) // 2


def test_consistency_every_pair_to_64_and_random_pairs_to_300(log) -> None:
    tree, entries = log
    roots = {n: rfc9162.mth(entries[:n]) for n in range(1, SIZES + 1)}
    rng = random.Random(4)
    pairs = [(m, n) for n in range(1, 65) for m in range(1, n + 1)]
    pairs += [tuple(sorted(rng.sample(range(1, SIZES + 1), 2))) for _ in range(3000)]
    pairs += [(m, SIZES) for m in (1, 2, 3, 4, 63, 64, 65, 128, 255, 256, 257, 299, 300)]
    for m, n in pairs:
        proof = tree.at(n).consistency_proof(m)
        mine = verify.verify_consistency(m, n, roots[m], roots[n], proof)
        assert mine == rfc9162.verify_consistency(m, n, roots[m], roots[n], proof) == True, (m, n)  # noqa: E712
        if m < n:  # another first tree, or another second one, is not shown consistent
            assert not verify.verify_consistency(m, n, roots[m], roots[n - 1], proof)
            if m > 1:
                assert not verify.verify_consistency(m, n, roots[m - 1], roots[n], proof)


def test_a_single_flipped_bit_anywhere_fails(log) -> None:
    tree, entries = log
    for size, index in ((1, 0), (2, 1), (7, 3), (64, 0), (201, 77), (300, 299)):
        head = tree.at(size)
        root, proof, leaf = head.root(), head.inclusion_proof(index), rfc9162.leaf(entries[index])
        assert verify.verify_inclusion(index, size, leaf, proof, root)
        for bad_root in _flips(root):
            assert not verify.verify_inclusion(index, size, leaf, proof, bad_root)
            assert not rfc9162.verify_inclusion(index, size, leaf, proof, bad_root)
        for bad_leaf in _flips(leaf):
            assert not verify.verify_inclusion(index, size, bad_leaf, proof, root)
        for at, value in enumerate(proof):
            for bad in _flips(value):
                forged = [*proof[:at], bad, *proof[at + 1 :]]
                assert not verify.verify_inclusion(index, size, leaf, forged, root)
                assert not rfc9162.verify_inclusion(index, size, leaf, forged, root)
    for m, n in ((1, 2), (2, 8), (6, 8), (100, 257), (64, 300), (255, 256), (299, 300)):
        first, second = tree.at(m).root(), tree.at(n).root()
        proof = tree.at(n).consistency_proof(m)
        assert verify.verify_consistency(m, n, first, second, proof)
        for bad in _flips(first):
            assert not verify.verify_consistency(m, n, bad, second, proof)
        for bad in _flips(second):
            assert not verify.verify_consistency(m, n, first, bad, proof)
        for at, value in enumerate(proof):
            for bad in _flips(value):
                forged = [*proof[:at], bad, *proof[at + 1 :]]
                assert not verify.verify_consistency(m, n, first, second, forged), (m, n, at)
                assert not rfc9162.verify_consistency(m, n, first, second, forged)


def test_proofs_of_the_wrong_length_or_shape_fail(log) -> None:
    tree, entries = log
    size, index = 201, 77
    head = tree.at(size)
    root, proof, leaf = head.root(), head.inclusion_proof(index), rfc9162.leaf(entries[index])
    for args in (
        (index, size, leaf, proof[:-1], root),  # a hash left out
        (index, size, leaf, [*proof, proof[0]], root),  # a hash added
        (index, size, leaf, [], root),
        (size, size, leaf, proof, root),  # an index past the end
        (-1, size, leaf, proof, root),
        (index, size, leaf[:31], proof, root),  # not a hash
        (index, size, leaf, [proof[0] + b"\x00", *proof[1:]], root),
    ):
        assert not verify.verify_inclusion(*args), args[:2]
    m, n = 100, 257
    first, second = tree.at(m).root(), tree.at(n).root()
    consistency = tree.at(n).consistency_proof(m)
    for args in (
        (m, n, first, second, consistency[1:]),
        (m, n, first, second, [*consistency, consistency[0]]),
        (m, n, first, second, []),
        (m + 1, n, first, second, consistency),
        (n, m, second, first, consistency),  # sizes the wrong way round
        (0, n, first, second, consistency),
        (m, n, first, second[:16], consistency),
    ):
        assert not verify.verify_consistency(*args), args[:2]
    # equal sizes: an empty proof and equal roots, nothing else
    assert verify.verify_consistency(n, n, second, second, [])
    assert not verify.verify_consistency(n, n, second, first, [])
    assert not verify.verify_consistency(n, n, second, second, [first])

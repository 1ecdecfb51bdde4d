"""The log's Merkle tree against RFC 9162 (issue 21): the Certificate Transparency test
vectors, and every proof of every tree size from 1 to 300 (consistency: every pair up to 64
and random pairs up to 300) checked by the independent verifier in ``tests/translog/
rfc9162.py``; tampered proofs fail; stored subtree hashes never change as the log grows."""

from __future__ import annotations

import random

import pytest

from credit.translog.merkle import EMPTY_ROOT, MemoryTree, Tree, leaf_hash, split
from tests.translog import rfc9162

# RFC 6962 test vectors (transparency-dev/merkle testonly): entries, and the tree head of
# each size from 0 to 8.
CT_ENTRIES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
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
CT_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CT_CONSISTENCY = {
    (2, 8): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
SIZES = 300


@pytest.fixture(scope="module")
def log() -> tuple[MemoryTree, list[bytes]]:
    rng = random.Random(21)
    entries = [rng.randbytes(rng.randrange(0, 40)) for _ in range(SIZES)]
    tree = MemoryTree()
    for entry in entries:
        tree.append(entry)
    return tree, entries


def _hex(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def test_the_certificate_transparency_vectors() -> None:
    tree = MemoryTree()
    assert tree.at().root() == EMPTY_ROOT and EMPTY_ROOT.hex() == CT_ROOTS[0]
    for size, entry in enumerate(CT_ENTRIES, start=1):
        tree.append(entry)
        assert tree.at().root().hex() == CT_ROOTS[size]
    for size in range(9):  # older sizes read from the same stored hashes
        assert tree.at(size).root().hex() == CT_ROOTS[size]
    for (index, size), path in CT_INCLUSION.items():
        assert _hex(tree.at(size).inclusion_proof(index)) == path
    for (first, second), path in CT_CONSISTENCY.items():
        assert _hex(tree.at(second).consistency_proof(first)) == path


def test_the_split_is_the_largest_power_of_two_below() -> None:
    expected = {2: 1, 3: 2, 4: 2, 5: 4, 8: 4, 9: 8, 1000: 512, 2**40: 2**39, 2**40 + 1: 2**40}
    assert {n: split(n) for n in expected} == expected


def test_every_size_to_300_every_leaf_included(log) -> None:
    tree, entries = log
    checked = 0
    for size in range(1, SIZES + 1):
        head = tree.at(size)
        root = head.root()
        assert root == rfc9162.mth(entries[:size]), size
        for index in range(size):
            proof = head.inclusion_proof(index)
            assert rfc9162.verify_inclusion(index, size, rfc9162.leaf(entries[index]), proof, root)
            checked += 1
    assert checked == SIZES * (SIZES + 1) // 2


def test_consistency_every_pair_to_64_and_random_pairs_to_300(log) -> None:
    tree, entries = log
    roots = {n: rfc9162.mth(entries[:n]) for n in range(1, SIZES + 1)}
    rng = random.Random(9162)
    pairs = [(m, n) for n in range(1, 65) for m in range(1, n + 1)]
    pairs += [tuple(sorted(rng.sample(range(1, SIZES + 1), 2))) for _ in range(2000)]
    pairs += [(m, SIZES) for m in (1, 2, 3, 4, 63, 64, 65, 128, 255, 256, 257, 299, 300)]
    for m, n in pairs:
        proof = tree.at(n).consistency_proof(m)
        assert rfc9162.verify_consistency(m, n, roots[m], roots[n], proof), (m, n)


def test_tampered_proofs_fail(log) -> None:
    tree, entries = log
    size, index = 201, 77
    head = tree.at(size)
    root, proof = head.root(), head.inclusion_proof(index)
    good = rfc9162.leaf(entries[index])
    assert rfc9162.verify_inclusion(index, size, good, proof, root)
    flipped = [proof[0][:5] + bytes([proof[0][5] ^ 1]) + proof[0][6:], *proof[1:]]
    for args in (
        (index + 1, size, good, proof, root),  # another index
        (index, 2 * size, good, proof, root),  # a size of another shape
        (index, size, rfc9162.leaf(entries[index + 1]), proof, root),  # another entry
        (index, size, good, flipped, root),  # a changed hash
        (index, size, good, proof[:-1], root),  # a hash left out
        (index, size, good, [*proof, proof[0]], root),  # a hash added
        (index, size, good, proof, tree.at(size - 1).root()),  # another tree
        (size, size, good, proof, root),  # an index past the end
    ):
        assert not rfc9162.verify_inclusion(*args), args[:2]
    m, n = 100, 257
    first, second = tree.at(m).root(), tree.at(n).root()
    consistency = tree.at(n).consistency_proof(m)
    assert rfc9162.verify_consistency(m, n, first, second, consistency)
    assert not rfc9162.verify_consistency(m, n, tree.at(m + 1).root(), second, consistency)
    assert not rfc9162.verify_consistency(m, n, first, tree.at(n - 1).root(), consistency)
    assert not rfc9162.verify_consistency(m, n, first, second, consistency[1:])
    assert not rfc9162.verify_consistency(m + 1, n, first, second, consistency)
    assert not rfc9162.verify_consistency(m, n, first, second, [])


def test_stored_hashes_are_written_once_and_never_change(log) -> None:
    _, entries = log
    tree = MemoryTree()
    seen: dict[tuple[int, int], bytes] = {}
    for entry in entries[:130]:
        tree.append(entry)
        for key, value in seen.items():
            assert tree.nodes[key] == value  # what was stored stays as it was
        seen = dict(tree.nodes)
    # one node per complete subtree: n leaves, n/2 pairs, ... (130 + 65 + 32 + 16 + 8 + 4 + 2 + 1)
    assert len(tree.nodes) == 258
    assert tree.nodes[0, 5] == leaf_hash(entries[5])


def test_bad_requests_for_proofs_are_refused(log) -> None:
    tree, _ = log
    head = tree.at(10)
    for bad in (-1, 10, 11):
        with pytest.raises(ValueError):
            head.inclusion_proof(bad)
    for bad in (0, 11, -3):
        with pytest.raises(ValueError):
            head.consistency_proof(bad)
    assert head.consistency_proof(10) == []
    with pytest.raises(ValueError):
        Tree(-1, tree.nodes.__getitem__)

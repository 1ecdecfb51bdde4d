"""Checking the log's proofs as a client does: RFC 9162 (Certificate Transparency 2.0)
§2.1.3.2 (an inclusion proof) and §2.1.4.2 (a consistency proof), step by step as the RFC
numbers them.

This is the product's verifier (``credit log monitor`` and whoever embeds a proof); it reads
nothing but its arguments, so it never trusts the tree it checks. Each function answers
``True`` only when the proof holds; a malformed argument (a hash not of 32 bytes, a
negative size) is a proof that does not hold, never an exception.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _hashes(*values: object) -> bool:
    return all(isinstance(v, bytes) and len(v) == HASH_SIZE for v in values)


def verify_inclusion(
    index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf of hash ``leaf_hash`` at ``index`` in the tree of
    ``tree_size`` leaves whose root hash is ``root`` (RFC 9162 §2.1.3.2)."""
    if not _hashes(leaf_hash, root, *proof) or index < 0:
        return False
    # 1. leaf_index >= tree_size fails
    if index >= tree_size:
        return False
    # 2. fn = leaf_index, sn = tree_size - 1;  3. r = hash
    fn, sn, r = index, tree_size - 1, leaf_hash
    # 4. for each p in the inclusion path
    for p in proof:
        if sn == 0:  # a.
            return False
        if fn & 1 or fn == sn:  # b.
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1  # c.
    # 5. sn is 0 and r is the root
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree of ``first`` leaves (root ``first_root``) to be a
    prefix of the tree of ``second`` leaves (root ``second_root``) (RFC 9162 §2.1.4.2).

    For ``first == second`` the proof is empty (§2.1.4.1) and the roots are equal. A tree
    of no leaves is a prefix of every tree but has no proof: callers check that case
    themselves (its root is SHA-256 of nothing), and here it does not verify."""
    if not _hashes(first_root, second_root, *proof):
        return False
    if first == second:
        return first >= 0 and not proof and first_root == second_root
    if not 0 < first < second:
        return False
    # 1. an empty path fails
    if not proof:
        return False
    path = list(proof)
    # 2. first an exact power of 2: first_hash goes in front
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    # 3. fn = first - 1, sn = second - 1
    fn, sn = first - 1, second - 1
    # 4. while LSB(fn) is set, shift both right
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # 5. fr = sr = the path's first value
    fr = sr = path[0]
    # 6. for each following value c
    for c in path[1:]:
        if sn == 0:  # a.
            return False
        if fn & 1 or fn == sn:  # b.
            fr, sr = _node(c, fr), _node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1  # c.
    # 7. fr is first_hash, sr is second_hash and sn is 0
    return fr == first_root and sr == second_root and sn == 0

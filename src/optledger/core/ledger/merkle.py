"""Merkle tree hashing as Certificate Transparency defines it (RFC 9162, section 2.1).

A leaf is `SHA-256(0x00 || content)`, an interior node `SHA-256(0x01 || left ||
right)`, so no leaf can pass for a node. A tree of n leaves splits at the largest
power of two below n. Everything here works on leaf hashes, so a leaf whose content
was erased keeps its place in the tree.

The *frontier* of a tree is the list of (size, hash) of the perfect subtrees its
leaves fall into, left to right, sizes strictly decreasing powers of two: appending
leaves needs only it, never the old leaves, and its root is the tree's root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

Frontier = list[tuple[int, bytes]]


def leaf_hash(content: bytes) -> bytes:
    """The hash of one leaf's content."""
    return hashlib.sha256(LEAF_PREFIX + content).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node over its two children."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (> 1): where the tree splits."""
    return 1 << ((size - 1).bit_length() - 1)


def _root(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    if end - start == 1:
        return leaves[start]
    middle = start + _split(end - start)
    return node_hash(_root(leaves, start, middle), _root(leaves, middle, end))


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of the leaves, by the RFC's recursive definition."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _root(leaf_hashes, 0, len(leaf_hashes))


def append_leaves(frontier: Frontier, leaf_hashes: Iterable[bytes]) -> None:
    """Append `leaf_hashes` to the tree of `frontier`, changing it in place.

    A level at a time: the nodes of one size pair up into the next size's, the
    frontier's subtree of that size (if any) first, as their left sibling; an odd
    one out stays in the frontier. The same tree as appending one leaf at a time,
    with the hashing done in bulk."""
    nodes, size = list(leaf_hashes), 1
    left_over: Frontier = []
    while nodes:
        if frontier and frontier[-1][0] == size:
            nodes = [frontier.pop()[1], *nodes]
        if len(nodes) % 2:
            left_over.append((size, nodes.pop()))
        pairs = zip(nodes[::2], nodes[1::2], strict=True)
        nodes = [node_hash(left, right) for left, right in pairs]
        size *= 2
    frontier.extend(reversed(left_over))


def aligned_subtrees(start: int, leaf_hashes: Sequence[bytes]) -> Frontier:
    """The perfect subtrees that the leaves `start` on (`leaf_hashes`) make in the
    tree they belong to, left to right, each as large as its place allows: appended
    to the frontier of the first `start` leaves (`append_subtrees`), they give the
    same tree as the leaves one by one. So the leaves of a range can be hashed apart
    from those before it."""
    hashes = list(leaf_hashes)
    subtrees: Frontier = []
    position, end = start, start + len(hashes)
    while position < end:
        # A subtree starts where its size divides its place, and ends by `end`.
        size = position & -position if position else 1 << (end.bit_length() - 1)
        while position + size > end:
            size >>= 1
        subtrees += extend([], hashes[position - start : position - start + size])
        position += size
    return subtrees


def append_subtrees(frontier: Frontier, subtrees: Iterable[tuple[int, bytes]]) -> None:
    """Append the perfect subtrees that `aligned_subtrees` gives for the leaves right
    after the tree of `frontier`, changing it in place: each joins the frontier's
    subtrees of its size, its left siblings, as a leaf would."""
    for size, subtree in subtrees:
        while frontier and frontier[-1][0] == size:
            subtree, size = node_hash(frontier.pop()[1], subtree), size * 2
        frontier.append((size, subtree))


def extend(frontier: Frontier, leaf_hashes: Iterable[bytes]) -> Frontier:
    """The frontier after appending `leaf_hashes` (a new list; the given one is kept)."""
    extended = list(frontier)
    append_leaves(extended, leaf_hashes)
    return extended


def frontier_size(frontier: Frontier) -> int:
    """How many leaves the tree of this frontier holds."""
    return sum(size for size, _ in frontier)


def frontier_root(frontier: Frontier) -> bytes:
    """The root of the tree whose frontier this is: the subtrees joined right to left."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1][1]
    for _, left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


def _paths(
    leaves: Sequence[bytes],
    wanted: Sequence[int],
    start: int,
    end: int,
    paths: dict[int, list[bytes]],
) -> bytes:
    """The root of leaves[start:end], adding to each wanted index's path on the way up."""
    if end - start == 1:
        return leaves[start]
    if not wanted:
        return _root(leaves, start, end)
    middle = start + _split(end - start)
    left_wanted = [index for index in wanted if index < middle]
    right_wanted = [index for index in wanted if index >= middle]
    left = _paths(leaves, left_wanted, start, middle, paths)
    right = _paths(leaves, right_wanted, middle, end, paths)
    for index in left_wanted:
        paths[index].append(right)
    for index in right_wanted:
        paths[index].append(left)
    return node_hash(left, right)


def inclusion_proofs(
    leaf_hashes: Sequence[bytes], indexes: Iterable[int]
) -> dict[int, list[bytes]]:
    """The audit path of each leaf of `indexes` in the tree of `leaf_hashes` (RFC 9162,
    2.1.3.1), hashing the tree once however many leaves are asked for."""
    wanted = sorted(set(indexes))
    for index in wanted:
        if not 0 <= index < len(leaf_hashes):
            raise ValueError(f"leaf {index} is not in a tree of {len(leaf_hashes)}")
    paths: dict[int, list[bytes]] = {index: [] for index in wanted}
    if wanted:
        _paths(leaf_hashes, wanted, 0, len(leaf_hashes), paths)
    return paths


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `leaf_hashes` (RFC 9162, 2.1.3.1)."""
    return inclusion_proofs(leaf_hashes, [index])[index]


def _shift_while_even(first: int, second: int) -> tuple[int, int]:
    while first & 1 == 0 and first != 0:
        first, second = first >> 1, second >> 1
    return first, second


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `proof` shows the leaf hash `leaf` at `index` in the tree of `tree_size`
    leaves whose root is `root` (RFC 9162, 2.1.3.2)."""
    if not 0 <= index < tree_size:
        return False
    position, last, computed = index, tree_size - 1, leaf
    for sibling in proof:
        if last == 0:
            return False
        if position & 1 or position == last:
            computed = node_hash(sibling, computed)
            if not position & 1:
                position, last = _shift_while_even(position, last)
        else:
            computed = node_hash(computed, sibling)
        position, last = position >> 1, last >> 1
    return last == 0 and computed == root


def _subproof(leaves: Sequence[bytes], size: int, start: int, end: int, whole: bool) -> list[bytes]:
    if start + size == end:
        return [] if whole else [_root(leaves, start, end)]
    middle = start + _split(end - start)
    if start + size <= middle:
        return [*_subproof(leaves, size, start, middle, whole), _root(leaves, middle, end)]
    return [
        *_subproof(leaves, start + size - middle, middle, end, False),
        _root(leaves, start, middle),
    ]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of the first `old_size` leaves is a prefix of the tree of
    all of `leaf_hashes` (RFC 9162, 2.1.4.1)."""
    if not 0 < old_size <= len(leaf_hashes):
        raise ValueError(f"no consistency proof from {old_size} to {len(leaf_hashes)}")
    return _subproof(leaf_hashes, old_size, 0, len(leaf_hashes), True)


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """Whether `proof` shows the tree (`old_size`, `old_root`) to be a prefix of the tree
    (`new_size`, `new_root`) (RFC 9162, 2.1.4.2)."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    # A power-of-two old tree is itself a node of the new one: the path starts at it.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    position, last = old_size - 1, new_size - 1
    while position & 1:
        position, last = position >> 1, last >> 1
    old_computed = new_computed = path[0]
    for sibling in path[1:]:
        if last == 0:
            return False
        if position & 1 or position == last:
            old_computed = node_hash(sibling, old_computed)
            new_computed = node_hash(sibling, new_computed)
            if not position & 1:
                position, last = _shift_while_even(position, last)
        else:
            new_computed = node_hash(new_computed, sibling)
        position, last = position >> 1, last >> 1
    return last == 0 and old_computed == old_root and new_computed == new_root

"""RFC 9162 hashing: the Certificate Transparency reference vectors, and properties over
trees of every size."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from optledger.core.ledger.merkle import (
    EMPTY_ROOT,
    aligned_subtrees,
    append_subtrees,
    consistency_proof,
    extend,
    frontier_root,
    frontier_size,
    inclusion_proof,
    inclusion_proofs,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# The leaves and tree heads of RFC 6962's reference implementation's tests, which every
# Certificate Transparency log agrees with.
REFERENCE_LEAVES = [
    bytes.fromhex(text)
    for text in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                 "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
REFERENCE_ROOTS = [
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
REFERENCE_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
REFERENCE_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
LEAVES = [leaf_hash(content) for content in REFERENCE_LEAVES]

trees = st.lists(st.binary(max_size=8), min_size=1, max_size=70).map(
    lambda contents: [leaf_hash(content) for content in contents]
)


def flipped(value: bytes, bit: int) -> bytes:
    """`value` with one bit changed."""
    position = bit % (len(value) * 8)
    changed = bytearray(value)
    changed[position // 8] ^= 1 << (position % 8)
    return bytes(changed)


def test_roots_match_the_reference_tree_heads() -> None:
    assert EMPTY_ROOT.hex() == REFERENCE_ROOTS[0]
    frontier: list[tuple[int, bytes]] = []
    for size in range(len(LEAVES) + 1):
        assert root_of(LEAVES[:size]).hex() == REFERENCE_ROOTS[size]
        assert frontier_root(frontier).hex() == REFERENCE_ROOTS[size]
        frontier = extend(frontier, LEAVES[size : size + 1])


def test_inclusion_proofs_match_the_reference_paths() -> None:
    for index, size, expected in REFERENCE_INCLUSION:
        proof = inclusion_proof(LEAVES[:size], index)
        assert [node.hex() for node in proof] == expected
        root = bytes.fromhex(REFERENCE_ROOTS[size])
        assert verify_inclusion(LEAVES[index], index, size, proof, root)


def test_consistency_proofs_match_the_reference_paths() -> None:
    for old, new, expected in REFERENCE_CONSISTENCY:
        proof = consistency_proof(LEAVES[:new], old)
        assert [node.hex() for node in proof] == expected
        old_root, new_root = (bytes.fromhex(REFERENCE_ROOTS[n]) for n in (old, new))
        assert verify_consistency(old, new, proof, old_root, new_root)


@given(trees, st.integers(min_value=0, max_value=70))
def test_the_frontier_gives_the_root_however_the_leaves_arrive(
    leaves: list[bytes], cut: int
) -> None:
    # Two seals (one cut anywhere) end where one seal of every leaf does.
    cut = min(cut, len(leaves))
    frontier = extend(extend([], leaves[:cut]), leaves[cut:])
    assert frontier_size(frontier) == len(leaves)
    assert frontier_root(frontier) == root_of(leaves)
    assert frontier_root(extend([], leaves[:cut])) == root_of(leaves[:cut])


@given(trees, st.integers(min_value=0), st.integers(min_value=0))
def test_every_inclusion_proof_verifies_and_no_altered_one_does(
    leaves: list[bytes], pick: int, bit: int
) -> None:
    index = pick % len(leaves)
    size, root = len(leaves), root_of(leaves)
    proof = inclusion_proof(leaves, index)
    assert verify_inclusion(leaves[index], index, size, proof, root)
    assert not verify_inclusion(flipped(leaves[index], bit), index, size, proof, root)
    assert not verify_inclusion(leaves[index], index, size, proof, flipped(root, bit))
    if proof:
        at = bit % len(proof)
        altered = [*proof[:at], flipped(proof[at], bit), *proof[at + 1 :]]
        assert not verify_inclusion(leaves[index], index, size, altered, root)
        # Another position, unless it holds the very same leaf hash.
        other = (index + 1 + pick % (size - 1)) % size if size > 1 else index
        if leaves[other] != leaves[index]:
            assert not verify_inclusion(leaves[index], other, size, proof, root)
    assert not verify_inclusion(leaves[index], size, size, proof, root)


@given(trees, st.integers(min_value=1), st.integers(min_value=0))
def test_every_consistency_proof_verifies_and_no_altered_one_does(
    leaves: list[bytes], pick: int, bit: int
) -> None:
    old = 1 + (pick - 1) % len(leaves)
    new = len(leaves)
    old_root, new_root = root_of(leaves[:old]), root_of(leaves)
    proof = consistency_proof(leaves, old)
    assert verify_consistency(old, new, proof, old_root, new_root)
    assert not verify_consistency(old, new, proof, flipped(old_root, bit), new_root)
    assert not verify_consistency(old, new, proof, old_root, flipped(new_root, bit))
    if proof:
        at = bit % len(proof)
        altered = [*proof[:at], flipped(proof[at], bit), *proof[at + 1 :]]
        assert not verify_consistency(old, new, altered, old_root, new_root)


@given(trees, st.lists(st.integers(min_value=0), max_size=8))
def test_the_proofs_of_several_leaves_at_once_each_verify(
    leaves: list[bytes], picks: list[int]
) -> None:
    size, root = len(leaves), root_of(leaves)
    proofs = inclusion_proofs(leaves, [pick % size for pick in picks])
    assert sorted(proofs) == sorted({pick % size for pick in picks})
    for index, proof in proofs.items():
        assert verify_inclusion(leaves[index], index, size, proof, root)


@given(
    st.integers(min_value=0, max_value=70),
    st.integers(min_value=0, max_value=70),
    st.lists(st.integers(min_value=0, max_value=70), max_size=6),
)
def test_a_range_folded_apart_joins_the_tree_as_its_leaves_would(
    before: int, count: int, cuts: list[int]
) -> None:
    # Leaves `before` on, folded apart in pieces (cut where seals would fall), give at
    # each cut the frontier of appending the leaves one by one.
    leaves = [leaf_hash(str(index).encode()) for index in range(before + count)]
    frontier = extend([], leaves[:before])
    ends = sorted({before + cut for cut in cuts if cut < count} | {before + count})
    start = before
    for end in ends:
        append_subtrees(frontier, aligned_subtrees(start, leaves[start:end]))
        assert frontier == extend([], leaves[:end])
        start = end

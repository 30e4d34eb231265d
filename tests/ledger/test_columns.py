"""Pages read as columns: aggregated by PostgreSQL in the order its rows came, they
are put in the order of their keys, each row's values kept together; hashes sent
packed read as the list they pack, alone or mixed with pages read row by row."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optledger.storage.columns import in_order_of
from optledger.storage.repositories.leaf_columns import Leaves, PackedHashes


@given(st.lists(st.integers(min_value=1, max_value=10**12), unique=True, max_size=50))
def test_a_page_comes_in_the_order_of_its_keys_with_each_row_kept_together(
    keys: list[int],
) -> None:
    # Each key's row carries values made from the key, so a row pulled apart shows.
    indexes = [key * 2 for key in keys]
    hashes = [key.to_bytes(32, "big") for key in keys]
    ordered_keys, ordered_indexes, ordered_hashes = in_order_of(keys, indexes, hashes)
    assert ordered_keys == sorted(keys)
    assert ordered_indexes == [key * 2 for key in ordered_keys]
    assert ordered_hashes == [key.to_bytes(32, "big") for key in ordered_keys]


def test_a_page_in_order_is_handed_back_as_it_is() -> None:
    keys, hashes = [1, 2, 3], [b"a", b"b", b"c"]
    assert in_order_of(keys, hashes) == (keys, hashes)


hash_lists = st.lists(st.binary(min_size=32, max_size=32), max_size=20)


@given(hash_lists, st.integers(min_value=-25, max_value=25), st.integers(-25, 25))
def test_packed_hashes_read_as_the_list_of_hashes_they_pack(
    hashes: list[bytes], start: int, stop: int
) -> None:
    packed = PackedHashes(b"".join(hashes))
    assert len(packed) == len(hashes)
    assert list(packed) == hashes
    assert packed == hashes
    assert packed == PackedHashes(b"".join(hashes))
    assert list(packed[start:stop]) == hashes[start:stop]
    assert list(packed[::2]) == hashes[::2]
    for index in range(-len(hashes), len(hashes)):
        assert packed[index] == hashes[index]
    with pytest.raises(IndexError):
        packed[len(hashes)]


@given(hash_lists, hash_lists)
def test_packed_hashes_differ_where_one_hash_does(first: list[bytes], second: list[bytes]) -> None:
    assert (PackedHashes(b"".join(first)) == PackedHashes(b"".join(second))) == (first == second)
    assert (PackedHashes(b"".join(first)) == second) == (first == second)


def _leaves(start: int, hashes: list[bytes], packed: bool) -> Leaves:
    count = len(hashes)
    return Leaves(
        list(range(start, start + count)),
        list(range(start + 1, start + count + 1)),
        PackedHashes(b"".join(hashes)) if packed else hashes,
    )


@given(st.lists(st.tuples(hash_lists, st.booleans()), max_size=6))
def test_leaves_extended_packed_and_cut_apart_keep_every_hash_in_order(
    pages: list[tuple[list[bytes], bool]],
) -> None:
    # Pages read packed (PostgreSQL) and row by row (SQLite, or a hash out of form).
    leaves, expected = Leaves(), []
    for hashes, packed in pages:
        leaves.extend(_leaves(len(expected), hashes, packed))
        expected += hashes
    assert list(leaves.hashes) == expected
    assert leaves.indexes == list(range(len(expected)))
    passed = pickle.loads(pickle.dumps(leaves))
    assert list(passed.hashes) == expected
    assert passed.event_ids == leaves.event_ids


def test_a_hash_out_of_form_is_passed_on_as_it_is() -> None:
    # A hash changed into text that is no hex is kept as its text (not 32 bytes).
    leaves = _leaves(0, [b"a" * 32], packed=True)
    leaves.extend(_leaves(1, [b"not hex"], packed=False))
    passed = pickle.loads(pickle.dumps(leaves))
    assert list(passed.hashes) == [b"a" * 32, b"not hex"]


def test_packed_pages_stay_packed_past_an_empty_page() -> None:
    leaves = Leaves()
    leaves.extend(_leaves(0, [b"a" * 32, b"b" * 32], packed=True))
    leaves.extend(Leaves())
    leaves.extend(_leaves(2, [b"c" * 32], packed=True))
    assert isinstance(leaves.hashes, PackedHashes)
    assert leaves.hashes == [b"a" * 32, b"b" * 32, b"c" * 32]
    # Equal to a list of the same hashes, as a list is; to nothing else.
    assert leaves.hashes != (b"a" * 32, b"b" * 32, b"c" * 32)
    assert PackedHashes() != b""

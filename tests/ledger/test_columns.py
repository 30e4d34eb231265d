"""A page's columns, aggregated by PostgreSQL in the order its rows came, are put in
the order of their keys, each row's values kept together."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from optledger.storage.columns import in_order_of


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

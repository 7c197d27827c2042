"""console.store.bulk: the set-at-a-time helpers agree with their one-row models."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.store.bulk import _add
from console.store.sequences import Range, add_to_ranges


@given(st.lists(st.integers(1, 60), max_size=80))
def test_adding_in_place_matches_the_pure_model(seqs: list[int]) -> None:
    model: list[Range] = []
    fast: list[Range] = []
    for s in seqs:
        model, was_new = add_to_ranges(model, s)
        assert _add(fast, s) is was_new
        assert fast == model

"""Properties of the pure pick (webapp.distribution.choose_operator), found by Hypothesis."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.distribution import Candidate, choose_operator, weighted_choice

candidates = st.lists(
    st.builds(
        Candidate,
        operator_id=st.integers(1, 10**9),
        weight=st.integers(0, 1_000_000),
        is_active=st.booleans(),
        active_contacts=st.integers(0, 1000),
        max_active_contacts=st.integers(0, 1000),
        timed_out=st.booleans(),
        off_shift=st.booleans(),
        absent=st.booleans(),
    ),
    max_size=30,
    unique_by=lambda candidate: candidate.operator_id,
)
seeds = st.integers(0, 2**32 - 1)


def eligible(candidate: Candidate) -> bool:
    return (
        candidate.is_active
        and candidate.weight > 0
        and candidate.active_contacts < candidate.max_active_contacts
        and not (candidate.timed_out or candidate.off_shift or candidate.absent)
    )


@settings(max_examples=500, derandomize=True)
@given(candidates, seeds)
def test_never_picks_an_inactive_full_or_zero_weight_operator(options, seed):
    picked = choose_operator(options, random.Random(seed))
    by_id = {candidate.operator_id: candidate for candidate in options}
    if picked is not None:
        assert eligible(by_id[picked])


@settings(max_examples=500, derandomize=True)
@given(candidates, seeds)
def test_none_exactly_when_nobody_is_eligible(options, seed):
    picked = choose_operator(options, random.Random(seed))
    assert (picked is None) == (not any(eligible(candidate) for candidate in options))


def reference_pick(options: list[Candidate], seed: int) -> int | None:
    """The pick spelled out: one draw below the eligible weights' total, walked through in order."""
    eligible_ones = [candidate for candidate in options if eligible(candidate)]
    if not eligible_ones:
        return None
    point = random.Random(seed).randrange(sum(candidate.weight for candidate in eligible_ones))
    for candidate in eligible_ones:
        if point < candidate.weight:
            return candidate.operator_id
        point -= candidate.weight
    raise AssertionError("the draw is below the total")


@settings(max_examples=300, derandomize=True)
@given(candidates, seeds)
def test_the_pick_is_the_draw_located_among_the_eligible_weights(options, seed):
    # Not "same seed, same pick" (true of any function of the seed), but which pick:
    # the one an independent walk through the running totals finds for that draw.
    assert choose_operator(options, random.Random(seed)) == reference_pick(options, seed)


@settings(max_examples=200, derandomize=True)
@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=20).filter(any), seeds)
def test_weighted_choice_only_returns_positive_weights(weights, seed):
    index = weighted_choice(range(len(weights)), weights, random.Random(seed))
    assert weights[index] > 0

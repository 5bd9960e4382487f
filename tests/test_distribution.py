"""The pure rules of webapp/distribution.py, tested like CPython's test_random."""

from __future__ import annotations

import random

import pytest

from webapp.distribution import (
    Candidate,
    choose_operator,
    eligible_candidates,
    shares_now,
    weighted_choice,
    why_waiting,
)


def candidate(operator_id, weight=1, active=True, load=0, limit=10):
    return Candidate(operator_id, weight, active, load, limit)


def test_a_seed_gives_these_picks():
    # Pinned, as CPython's test_random pins choices() for a seed: each pick is one
    # randrange(total) located in the running totals. Drawing more or otherwise (or a
    # different mapping of draws to options) changes this string.
    rng = random.Random(42)
    picks = "".join(weighted_choice("abc", [1, 2, 3], rng) for _ in range(30))
    assert picks == "caacbbbbcacccaccaaabbccacbcccc"


def test_a_seed_gives_these_operators():
    candidates = [
        candidate(11, weight=1),
        candidate(12, weight=2),
        candidate(13, weight=7, load=9, limit=10),  # one place left
        candidate(14, weight=5, active=False),
        candidate(15, weight=4, load=3, limit=3),  # full
    ]
    rng = random.Random(20261126)
    picks = [choose_operator(candidates, rng) for _ in range(15)]
    assert picks == [13, 13, 11, 13, 12, 13, 13, 13, 13, 12, 13, 13, 13, 13, 12]


def test_exact_boundaries_of_the_running_totals():
    class Fixed(random.Random):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def randrange(self, stop):
            assert 0 <= self.value < stop
            return self.value

    # Totals 1, 3, 6: draws 0 -> a, 1..2 -> b, 3..5 -> c.
    assert [weighted_choice("abc", [1, 2, 3], Fixed(v)) for v in range(6)] == list("abbccc")


def test_zero_weight_is_never_chosen():
    rng = random.Random(7)
    picks = {weighted_choice(["zero", "one", "zero2"], [0, 1, 0], rng) for _ in range(1000)}
    assert picks == {"one"}


@pytest.mark.parametrize(
    "options, weights, message",
    [
        ([], [], "empty"),
        (["a"], [1, 2], "same length"),
        (["a", "b"], [0, 0], "greater than zero"),
        (["a"], [-1], ">= 0"),
        (["a"], [1.5], "integers"),
        (["a"], [True], "integers"),
        (["a"], ["3"], "integers"),
    ],
)
def test_bad_inputs_are_refused(options, weights, message):
    with pytest.raises(ValueError, match=message):
        weighted_choice(options, weights, random.Random(1))


def test_frequencies_follow_the_weights():
    """Chi-square goodness of fit, fixed seed: 3 degrees of freedom, p = 0.001 -> 16.27."""
    weights = [1, 2, 3, 4]
    draws = 100_000
    rng = random.Random(20261126)
    counts = [0] * len(weights)
    for _ in range(draws):
        counts[weighted_choice(range(4), weights, rng)] += 1
    expected = [draws * w / sum(weights) for w in weights]
    chi_square = sum((c - e) ** 2 / e for c, e in zip(counts, expected, strict=True))
    assert chi_square < 16.27


class CountingWeights(list):
    """A weight list that counts how often its items are read."""

    reads = 0

    def __iter__(self):
        for item in super().__iter__():
            CountingWeights.reads += 1
            yield item


class CountingRandom(random.Random):
    draws = 0

    def randrange(self, *args):
        CountingRandom.draws += 1
        return super().randrange(*args)


@pytest.mark.parametrize("weight", [1, 1_000_000])
def test_work_does_not_grow_with_weight_size(weight):
    CountingWeights.reads = CountingRandom.draws = 0
    weighted_choice(list(range(10)), CountingWeights([weight] * 10), CountingRandom(3))
    # Two passes over ten weights (validation, running totals), one draw: whatever the size.
    assert (CountingWeights.reads, CountingRandom.draws) == (20, 1)


def test_huge_weights_are_handled_without_expanding_them():
    assert weighted_choice(["a", "b"], [10**15, 0], random.Random(1)) == "a"


def test_eligibility_rules():
    candidates = [
        candidate(1),
        candidate(2, active=False),
        candidate(3, load=10, limit=10),
        candidate(4, weight=0),
        candidate(5, load=9, limit=10),
        candidate(6, limit=0),
    ]
    assert [c.operator_id for c in eligible_candidates(candidates)] == [1, 5]


def test_nobody_eligible_gives_none():
    rng = random.Random(1)
    assert choose_operator([], rng) is None
    assert choose_operator([candidate(1, load=3, limit=3), candidate(2, active=False)], rng) is None


def test_choose_operator_only_ever_returns_eligible_ones():
    rng = random.Random(5)
    candidates = [
        candidate(1, weight=5, load=10),
        candidate(2, weight=1),
        candidate(3, active=False, weight=9),
    ]
    assert {choose_operator(candidates, rng) for _ in range(500)} == {2}


def test_the_suggested_operator_is_eligible_with_the_most_room():
    from webapp.distribution import Candidate, suggested_operator

    candidates = [
        Candidate(1, 5, True, 1, 5),  # 4 free
        Candidate(2, 1, True, 0, 6),  # 6 free: the most room
        Candidate(3, 9, False, 0, 50),  # inactive
        Candidate(4, 9, True, 10, 10),  # at the limit
        Candidate(5, 0, True, 0, 99),  # not weighted: the pick never gives it one
    ]
    assert suggested_operator(candidates) == 2
    assert suggested_operator(candidates, besides=2) == 1  # never the current operator
    assert suggested_operator(candidates[2:]) is None

# --- What the pick would do now: shares and the reason nobody is picked ---------------


def test_shares_now_count_only_the_eligible_by_weight():
    candidates = [
        Candidate(1, 1, True, 0, 5),   # eligible
        Candidate(2, 3, True, 5, 5),   # at limit
        Candidate(3, 3, False, 0, 5),  # inactive
        Candidate(4, 3, True, 1, 5),   # eligible
    ]
    assert shares_now(candidates) == {1: 0.25, 4: 0.75}
    assert shares_now(candidates[1:3]) == {}
    assert shares_now([]) == {}


def test_why_waiting_names_the_rule_that_excludes_everyone():
    at_limit = Candidate(1, 1, True, 2, 2)
    inactive = Candidate(2, 1, False, 0, 2)
    free = Candidate(3, 1, True, 0, 2)
    assert why_waiting([]).kind == "unweighted"
    assert why_waiting([at_limit, Candidate(4, 2, True, 3, 3)]) == ("at_limit", 2, {"at_limit": 2})
    assert why_waiting([inactive]) == ("inactive", 1, {"inactive": 1})
    assert why_waiting([at_limit, inactive]).kind == "mixed"
    assert why_waiting([at_limit, free]).kind == "eligible"

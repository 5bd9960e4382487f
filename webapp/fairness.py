"""Is the distribution fair? Expected counts from the picks as they happened, and a test of chance.

Pure functions of plain values, like ``webapp.distribution``'s rules. Each weighted pick
gave every eligible candidate a chance of ``weight / total eligible weight`` at that
moment; an operator off shift or at their limit had none. So over a period an operator's
number of picks is a sum of independent Bernoulli trials with those chances (a
Poisson-binomial variable): its mean is the expected count, its variance the sum of
``p (1 - p)``. The flag asks whether the count they got is further from the mean than
chance explains at ``p < 0.001``, two-sided: exactly for fewer than 30 picks, by the
normal approximation from 30 on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SIGNIFICANCE = 0.001  # two-sided; under the normal approximation, |z| > 3.29
EXACT_BELOW_PICKS = 30


def pick_chances(candidates: Iterable[dict]) -> dict[int, float]:
    """Each eligible candidate's chance in one weighted pick, from its assignment record's candidates."""
    eligible = [(c["operator_id"], c["weight"]) for c in candidates if c.get("eligible") and c["weight"] > 0]
    total = sum(weight for _operator_id, weight in eligible)
    if total <= 0:
        return {}
    return {operator_id: weight / total for operator_id, weight in eligible}


@dataclass
class Tally:
    """One operator's picks over a period: how many they got, and the chances they had.

    The chances are summed as they come (mean and variance); each one is kept only while
    there are fewer than ``EXACT_BELOW_PICKS``, which is all the exact test needs.
    """

    assigned: int = 0
    trials: int = 0  # the picks in which they had a chance
    expected: float = 0.0
    variance: float = 0.0
    few_chances: list[float] = field(default_factory=list)

    def add_chance(self, chance: float) -> None:
        self.trials += 1
        self.expected += chance
        self.variance += chance * (1 - chance)
        if self.trials < EXACT_BELOW_PICKS:
            self.few_chances.append(chance)

    def add(self, other: Tally) -> None:
        """Add the picks of another part of the period (a folded day's sums, or records)."""
        if self.trials + other.trials < EXACT_BELOW_PICKS:
            self.few_chances.extend(other.few_chances)
        self.assigned += other.assigned
        self.trials += other.trials
        self.expected += other.expected
        self.variance += other.variance

    def beyond_chance(self) -> bool:
        """True when ``assigned`` is further from ``expected`` than chance explains (p < 0.001)."""
        if not self.trials:
            return False
        if self.trials < EXACT_BELOW_PICKS:
            return beyond_chance(self.assigned, self.few_chances)
        return _normal_p_value(self.assigned, self.expected, self.variance) < SIGNIFICANCE


def tally_picks(picks: Iterable[tuple[int, dict[int, float]]]) -> tuple[int, dict[int, Tally]]:
    """(number of picks, {operator id: Tally}) from (chosen operator, chances) of each pick."""
    tallies: dict[int, Tally] = {}
    count = 0
    for chosen, chances in picks:
        count += 1
        for operator_id, chance in chances.items():
            # get() first: setdefault alone would build a Tally for each of a period's million chances.
            tally = tallies.get(operator_id) or tallies.setdefault(operator_id, Tally())
            tally.add_chance(chance)
        tallies.setdefault(chosen, Tally()).assigned += 1
    return count, tallies


def poisson_binomial(chances: Sequence[float]) -> list[float]:
    """P(exactly k successes) for k = 0..n of independent trials with these chances (exact, O(n²))."""
    distribution = [1.0]
    for p in chances:
        following = [0.0] * (len(distribution) + 1)
        for successes, probability in enumerate(distribution):
            following[successes] += probability * (1 - p)
            following[successes + 1] += probability * p
        distribution = following
    return distribution


def two_sided_p_value(assigned: int, chances: Sequence[float]) -> float:
    """How likely a count at least this far out is, by chance alone (both tails, capped at 1)."""
    if len(chances) < EXACT_BELOW_PICKS:
        distribution = poisson_binomial(chances)
        if assigned >= len(distribution):
            return 0.0
        lower = math.fsum(distribution[: assigned + 1])
        upper = math.fsum(distribution[assigned:])
        return min(1.0, 2 * min(lower, upper))
    return _normal_p_value(assigned, math.fsum(chances), math.fsum(p * (1 - p) for p in chances))


def _normal_p_value(assigned: int, mean: float, variance: float) -> float:
    if variance == 0:
        return 1.0 if abs(assigned - mean) < 0.5 else 0.0
    z = abs(assigned - mean) / math.sqrt(variance)
    return math.erfc(z / math.sqrt(2))


def beyond_chance(assigned: int, chances: Sequence[float]) -> bool:
    """True when ``assigned`` differs from the expected count by more than chance explains (p < 0.001)."""
    return two_sided_p_value(assigned, chances) < SIGNIFICANCE


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of already sorted values (None for none)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]

"""Cost of the weighted pick as the operators on one source grow: intake latency, ratio to 10."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from bench.databases import DatabaseFactory, seed_intake
from bench.generate import add_history
from bench.load import LoadResult, run_load
from bench.servers import gunicorn

INTAKE_PATH = "/api/v1/contacts/"


@dataclass(frozen=True)
class PickRun:
    operators: int
    max_weight: int
    concurrency: int
    result: LoadResult
    held: int = 0  # open contacts the operators already hold between them


def measure_pick_cost(
    factory: DatabaseFactory,
    sizes,
    seconds: float,
    *,
    concurrency: int = 1,
    workers: int = 2,
    tool: str = "auto",
    weight_sizes=(1_000_000, 1),
    rounds: int = 2,
    held: int = 0,
) -> list[PickRun]:
    """One database and server per case, all up at once and loaded in turn, `rounds` times over;
    each case keeps its best round (lowest p50). The first case (`sizes[0]`) is the base of the ratios.

    Every size runs with weights drawn up to the first of `weight_sizes`; the size nearest 1,000
    is repeated with each other maximum weight (weights of 1 cost the same as 1,000,000). With
    `held`, the base size is repeated with operators (limits of 10,000,000) that already hold
    that many open contacts between them: a load that must not change the pick's cost.
    """
    cases = [(size, weight_sizes[0], 0) for size in sizes]
    middle = min(sizes, key=lambda size: abs(size - 1000))
    cases += [(middle, weight, 0) for weight in weight_sizes[1:]]
    if held:
        cases.append((sizes[0], weight_sizes[0], held))
    best: dict[tuple[int, int, int], LoadResult] = {}
    with ExitStack() as stack:
        served = []
        for operators, max_weight, holding in cases:
            url = factory.new_migrated(f"bench_pick_{operators}_{max_weight}_{holding}")
            target = seed_intake(url, operators=operators, max_weight=max_weight)
            if holding:
                add_history(url, target.source_id, holding, all_open=True)
            server = stack.enter_context(gunicorn(url, workers=workers))
            served.append(((operators, max_weight, holding), server, target))
        for _round in range(rounds):
            for case, server, target in served:
                result = run_load(
                    server.base_url,
                    INTAKE_PATH,
                    token=target.token,
                    source_id=target.source_id,
                    concurrency=concurrency,
                    seconds=seconds,
                    tool=tool,
                )
                if case not in best or result.p50_ms < best[case].p50_ms:
                    best[case] = result
    return [PickRun(operators, weight, concurrency, best[case], held) for case in cases
            for operators, weight, held in [case]]

"""`make bench`: measure, then write bench/results/latest.md.

.venv/bin/python -m bench.run            # the full run (under 10 minutes on 2 cores)
.venv/bin/python -m bench.run --quick    # seconds: tiny sizes, SQLite, one short load each
.venv/bin/python -m bench.run --only dashboard [--backend sqlite]   # section 4 alone (~3 min)
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bench import report
from bench.dashboard import export_memory, time_pages
from bench.databases import DatabaseFactory, database_factory, seed_intake
from bench.generate import fill
from bench.load import have_wrk
from bench.pick_cost import measure_pick_cost
from bench.profile_intake import measure_in_process
from bench.simulate import run_simulation_bench
from bench.statements import statements_per_post
from bench.throughput import measure_server

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Plan:
    backends: tuple[str, ...] = ("sqlite", "postgresql")
    workers: tuple[int, ...] = (2, 4)
    concurrencies: tuple[int, ...] = (1, 8, 32)
    # Per round; wrk counts whole seconds. Many short interleaved rounds beat few long ones on a
    # busy machine: each endpoint or case gets more chances at a quiet moment.
    seconds: float = 1.0
    rounds: int = 3
    pick_sizes: tuple[int, ...] = (10, 100, 1000, 10_000)
    pick_weights: tuple[int, ...] = (1_000_000, 1)
    pick_seconds: float = 1.0
    pick_held: int = 100_000
    statement_operators: int = 1000
    statement_history: int = 5000
    profile_requests: int = 300
    big_contacts: int = 1_000_000
    big_operators: int = 1000
    small_contacts: int = 5000
    page_repeats: int = 10
    exports: bool = True
    simulate_contacts: int = 100_000
    # The backend of the in-process profile and the CSV export; the dashboard runs on each of
    # dashboard_backends (it must include detail_backend).
    detail_backend: str = "sqlite"
    dashboard_backends: tuple[str, ...] = ("sqlite", "postgresql")
    tool: str = "auto"
    # The sections to run: all, or only "dashboard" (section 4, while working on the pages).
    only: str | None = None


QUICK = Plan(
    backends=("sqlite",),
    workers=(2,),
    concurrencies=(2,),
    seconds=0.5,
    rounds=1,
    pick_sizes=(10, 50),
    pick_weights=(1_000_000,),
    pick_seconds=0.5,
    pick_held=500,
    statement_operators=50,
    statement_history=50,
    profile_requests=10,
    big_contacts=400,
    big_operators=20,
    small_contacts=100,
    page_repeats=2,
    dashboard_backends=("sqlite",),
    simulate_contacts=500,
)


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # the raw results, for the smoke test

    def section(self, title: str, produce) -> None:
        """Run one section; a failure is written into the report and the run goes on."""
        started = time.monotonic()
        print(f"[bench] {title} ...", file=sys.stderr, flush=True)
        try:
            self.lines += produce()
        except Exception:  # noqa: BLE001 - the report says which section failed and why
            self.failures.append(title)
            self.lines += [f"## {title}: FAILED", "", "```", traceback.format_exc(limit=6), "```", ""]
        print(f"[bench] {title} done in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)


def throughput_and_pick(plan: Plan, workdir: Path, factories: dict | None = None):
    """Sections 1, 2, 3 (statements) and the worker memory of 5, per backend."""
    server_runs, picks, statements = [], {}, {}
    for backend in plan.backends:
        with _factory(backend, workdir, factories) as factory:
            statements[backend] = statement_cases(plan, factory)
            for workers in plan.workers:
                server_runs.append(
                    measure_server(factory, workers, plan.concurrencies, plan.seconds, plan.tool, plan.rounds)
                )
            picks[backend] = measure_pick_cost(
                factory,
                plan.pick_sizes,
                plan.pick_seconds,
                tool=plan.tool,
                weight_sizes=plan.pick_weights,
                rounds=plan.rounds,
                held=plan.pick_held,
            )
    return server_runs, picks, statements


def _factory(backend: str, workdir: Path, factories: dict | None):
    if factories and backend in factories:
        return nullcontext(factories[backend])
    return database_factory(backend, workdir)


def statement_cases(plan: Plan, factory: DatabaseFactory):
    """The statement count with 10 vs many operators and with no vs much history."""
    cases, base_log = [], None
    for operators, history in ((10, 0), (plan.statement_operators, 0), (10, plan.statement_history)):
        url = factory.new_migrated(f"bench_statements_{operators}_{history}")
        target = seed_intake(url, operators=operators)
        if history:
            fill_history(url, target, history)
        log = statements_per_post(url, target.token, target.source_id)
        base_log = base_log or log
        cases.append((f"{operators:,} operators, {history:,} earlier contacts", log.count, log.commits))
    return cases, base_log


def fill_history(url: str, target, contacts: int) -> None:
    """Earlier contacts on the target's source, through the bulk generator's insert."""
    from bench.generate import add_history

    add_history(url, target.source_id, contacts)


def dashboard(plan: Plan, factory: DatabaseFactory):
    """Fill a big and a small database; time the pages on both. Returns their URLs too."""
    big_url = factory.new_migrated("bench_dashboard_big")
    small_url = factory.new_migrated("bench_dashboard_small")
    big_summary = fill(big_url, operators=plan.big_operators, contacts=plan.big_contacts)
    small_summary = fill(small_url, operators=plan.big_operators, contacts=plan.small_contacts)
    small = time_pages(small_url, plan.page_repeats)  # first: it also warms the templates up
    big = time_pages(big_url, plan.page_repeats)
    return (big, small, big_summary, small_summary), (big_url, small_url)


def exports(plan: Plan, big_url: str, small_url: str):
    measured = [(f"{plan.big_contacts:,} contacts", export_memory(big_url))]
    if plan.exports:
        measured.append((f"{plan.small_contacts:,} contacts", export_memory(small_url)))
    return measured


def _load_average() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def environment_lines(plan: Plan, command: str) -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    tool = "wrk" if (plan.tool == "wrk" or (plan.tool == "auto" and have_wrk())) else "python threads"
    if tool == "wrk":
        version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
        tool = (version.stdout or version.stderr).splitlines()[0].strip()
    return [
        "# Benchmark results",
        "",
        f"- run: {datetime.now(UTC).isoformat(timespec='seconds')} with `{command}`",
        f"- machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        f"- load generator: {tool}, a separate process on 127.0.0.1, every POST a new external_id",
        f"- load average at the start (1/5/15 min): {_load_average()} - other work on the machine slows "
        "every figure; the ratios, measured side by side, suffer least",
        f"- intake and floors: best of {plan.rounds} interleaved runs of {plan.seconds:g} s each; "
        f"pick cost: best of {plan.rounds} interleaved runs of {plan.pick_seconds:g} s",
        "- gunicorn sync workers; SQLite WAL + synchronous=FULL; PostgreSQL fsync=on, synchronous_commit=on",
        "",
    ]


def run(plan: Plan, command: str, output: Path, factories: dict | None = None) -> Outcome:
    """Every section in turn, then the report. `factories` (backend -> DatabaseFactory) lets the
    smoke test reuse its own PostgreSQL cluster; otherwise each backend gets a fresh one."""
    logging.disable(logging.INFO)  # alembic's migration chatter (its env.py re-configures logging)
    outcome = Outcome(environment_lines(plan, command))
    header = len(outcome.lines)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="leadcrm-bench-") as tmp:
        workdir = Path(tmp)
        data = outcome.data

        def sections_1_2():
            data["server_runs"], data["picks"], data["statements"] = throughput_and_pick(
                plan, workdir, factories
            )
            return report.intake_section(data["server_runs"]) + report.pick_section(data["picks"])

        def section_3(factory):
            url = factory.new_migrated("bench_profile")
            data["in_process"] = measure_in_process(seed_intake(url), plan.profile_requests)
            return report.statements_section(data.get("statements", {})) + report.profile_section(
                data["in_process"], factory.backend
            )

        def section_4(factory):
            pages, (big_url, small_url) = dashboard(plan, factory)
            data["dashboards"][factory.backend] = pages
            if factory.backend == plan.detail_backend and plan.only is None:
                data["exports"] = exports(plan, big_url, small_url)
            return report.dashboard_section(factory.backend, *pages)

        def section_6(factory):
            data["simulation"], lines = run_simulation_bench(factory, plan.simulate_contacts)
            return lines

        everything = plan.only is None
        if everything:
            outcome.section("1-2. Intake and pick cost", sections_1_2)
        data["dashboards"], data["exports"] = {}, []
        for backend in plan.dashboard_backends:
            with _factory(backend, workdir, factories) as factory:
                if everything and backend == plan.detail_backend:
                    outcome.section("3. Statements and in-process profile", lambda: section_3(factory))
                outcome.section(f"4. Dashboard ({backend})", lambda: section_4(factory))
        if everything:
            outcome.lines += report.memory_section(data.get("server_runs", []), data["exports"])
            with _factory(plan.detail_backend, workdir, factories) as factory:
                outcome.section("6. What-if simulator", lambda: section_6(factory))

    outcome.lines[header:header] = report.summary_section(outcome.data)
    outcome.lines.append(
        f"Total time of this run: {time.monotonic() - started:.0f} s; "
        f"load average at the end: {_load_average()}."
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(outcome.lines) + "\n")
    return outcome


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks, write bench/results/latest.md.")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and short runs (the smoke test)")
    parser.add_argument("--only", choices=("dashboard",), help="run this section alone (4. Dashboard)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), help="with --only: this backend alone")
    parser.add_argument("--output", type=Path, help="default: bench/results/latest.md (--only: <section>.md)")
    args = parser.parse_args(argv)
    args.output = args.output or RESULTS / f"{args.only or 'latest'}.md"
    plan = replace(QUICK if args.quick else Plan(), only=args.only)
    if args.backend:
        plan = replace(plan, dashboard_backends=(args.backend,), detail_backend=args.backend)
    command = " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])])
    outcome = run(plan, command, args.output)
    print(f"[bench] wrote {args.output}", file=sys.stderr)
    if outcome.failures:
        print(f"[bench] failed sections: {', '.join(outcome.failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

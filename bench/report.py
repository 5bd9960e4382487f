"""The Markdown of bench/results/latest.md: every figure a ratio measured in this run, with the
absolute numbers beside it, and each goal marked met or missed."""

from __future__ import annotations

from bench.throughput import EVERY_FEATURE, FLOOR_COMMIT, FLOOR_JSON, INTAKE, INTAKE_FEATURES

INTAKE_GOAL = 0.70
FEATURES_GOAL = 0.50
PICK_GOAL = 1.5
PICK_GOAL_OPERATORS = 10_000
HELD_GOAL = 0.90  # intake req/s with 100,000 open contacts held ÷ with none
PAGE_GOAL_MS = 100.0
WORKER_GOAL_MIB = 150.0


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def _ratio(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "n/a"


def intake_section(server_runs) -> list[str]:
    lines = [
        "## 1. Intake throughput and latency, beside the two floors",
        "",
        "Same gunicorn process, settings and database for all three endpoints; endpoints "
        "interleaved per concurrency. Goal: intake ≥ 70% of the one-commit floor's req/s.",
        "",
        "| backend | workers | conc. | trivial JSON req/s | one-commit req/s | intake req/s "
        "| intake p50 / p99 ms | errors | intake ÷ JSON | intake ÷ one-commit | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in server_runs:
        for concurrency in sorted({c for c, _name in run.results}):
            floor_json, floor_commit, intake = (
                run.results[concurrency, n] for n in (FLOOR_JSON, FLOOR_COMMIT, INTAKE)
            )
            errors = floor_json.errors + floor_commit.errors + intake.errors
            lines.append(
                f"| {run.backend} | {run.workers} | {concurrency} "
                f"| {floor_json.rps:,.0f} | {floor_commit.rps:,.0f} "
                f"| {intake.rps:,.0f} | {intake.p50_ms:.1f} / {intake.p99_ms:.1f} | {errors} "
                f"| {_ratio(intake.rps, floor_json.rps)} | {_ratio(intake.rps, floor_commit.rps)} "
                f"| {_mark(intake.rps >= INTAKE_GOAL * floor_commit.rps)} |"
            )
    lines += [
        "",
        "Latency of every run (ms):",
        "",
        "| backend | workers | conc. | endpoint | requests | req/s | p50 | p99 | errors |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in server_runs:
        for (concurrency, name), result in sorted(run.results.items()):
            lines.append(
                f"| {run.backend} | {run.workers} | {concurrency} | {name} | {result.requests:,} "
                f"| {result.rps:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} | {result.errors} |"
            )
    return lines + features_lines(server_runs) + [""]


def features_lines(server_runs) -> list[str]:
    """What the per-source features cost: intake to a source with all of them on, beside intake."""
    settings = ", ".join(f"`{name}` {value:,}" for name, value in EVERY_FEATURE.items())
    lines = [
        "",
        f"What the per-source features cost: the same server, interleaved, a second source with {settings}. "
        "Goal: ≥ 50% of the one-commit floor.",
        "",
        "| backend | workers | conc. | intake req/s | every feature on req/s | p50 / p99 ms | errors "
        "| features ÷ intake | features ÷ one-commit | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in server_runs:
        for concurrency in sorted({c for c, _name in run.results}):
            floor_commit, intake, featured = (
                run.results[concurrency, n] for n in (FLOOR_COMMIT, INTAKE, INTAKE_FEATURES)
            )
            lines.append(
                f"| {run.backend} | {run.workers} | {concurrency} | {intake.rps:,.0f} | {featured.rps:,.0f} "
                f"| {featured.p50_ms:.1f} / {featured.p99_ms:.1f} | {featured.errors} "
                f"| {_ratio(featured.rps, intake.rps)} | {_ratio(featured.rps, floor_commit.rps)} "
                f"| {_mark(featured.rps >= FEATURES_GOAL * floor_commit.rps)} |"
            )
    return lines


def pick_section(pick_runs_by_backend) -> list[str]:
    lines = [
        "## 2. Cost of the pick as operators grow",
        "",
        "One source, N weighted operators (all eligible), intake at concurrency 1 on 2 workers. "
        f"Goal: {PICK_GOAL_OPERATORS:,} operators within {PICK_GOAL}× of 10; weights up to 1,000,000 cost "
        f"the same as 1; with the operators already holding open contacts, ≥ {HELD_GOAL:.0%} of the req/s "
        "with none.",
        "",
        "| backend | operators | weights | open contacts held | req/s | p50 ms | p99 ms | errors "
        "| p50 ÷ p50 at base | goal |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for backend, runs in pick_runs_by_backend.items():
        base = runs[0].result
        for run in runs:
            ratio = run.result.p50_ms / base.p50_ms if base.p50_ms else 0
            goal = _pick_goal(run, base)
            lines.append(
                f"| {backend} | {run.operators:,} | 1..{run.max_weight:,} | {run.held:,} "
                f"| {run.result.rps:,.0f} | {run.result.p50_ms:.2f} | {run.result.p99_ms:.2f} "
                f"| {run.result.errors} | {ratio:.2f}× | {_mark(goal)} |"
            )
    return lines + [""]


def _pick_goal(run, base) -> bool | None:
    if run.held:
        return run.result.rps >= HELD_GOAL * base.rps
    if run.operators == PICK_GOAL_OPERATORS:
        return run.result.p50_ms <= PICK_GOAL * base.p50_ms
    return None


def statements_section(statements_by_backend: dict) -> list[str]:
    """`statements_by_backend`: backend -> (cases [(label, count, commits)], log of the base case)."""
    lines = [
        "## 3. SQL statements per POST /api/v1/contacts/",
        "",
        "Counted in-process (Flask test client, `before_cursor_execute`), a new lead each time, "
        "after one warm-up POST. Goal: a small constant, independent of operators and history.",
        "",
        "| backend | case | statements | COMMITs |",
        "| --- | --- | ---: | ---: |",
    ]
    for backend, (cases, _log) in statements_by_backend.items():
        lines += [f"| {backend} | {label} | {count} | {commits} |" for label, count, commits in cases]
    for backend, (cases, log) in statements_by_backend.items():
        constant = len({count for _label, count, _commits in cases}) == 1
        lines += ["", f"{backend}: constant across cases: {_mark(constant)}. The statements (base case):", ""]
        lines += [
            f"{number}. `{statement[:150]}{'…' if len(statement) > 150 else ''}`"
            for number, statement in enumerate(log.statements, 1)
        ]
    return lines + [""]


def profile_section(costs, backend: str) -> list[str]:
    lines = [
        "## 3b. Where intake's time goes (in-process, no network)",
        "",
        f"Per request through the Flask test client in one process, {backend}:",
        "",
        "| endpoint | ms per request | ÷ intake |",
        "| --- | ---: | ---: |",
        f"| trivial JSON floor | {costs.json_floor_ms:.2f} "
        f"| {_ratio(costs.json_floor_ms, costs.intake_ms)} |",
        f"| one-commit floor | {costs.commit_floor_ms:.2f} "
        f"| {_ratio(costs.commit_floor_ms, costs.intake_ms)} |",
        f"| intake | {costs.intake_ms:.2f} | 100% |",
        "",
        "Intake's own CPU time by package (cProfile, own time):",
        "",
        "| package | share |",
        "| --- | ---: |",
    ]
    lines += [f"| {label} | {share:.0%} |" for label, share in costs.shares.items()]
    return lines + [""]


def dashboard_section(backend, big_timings, small_timings, big_summary, small_summary) -> list[str]:
    lines = [
        f"## 4. Dashboard at scale ({backend})",
        "",
        f"Big database: {big_summary.operators:,} operators, {big_summary.sources} sources, "
        f"{big_summary.leads:,} leads, {big_summary.contacts:,} contacts (generated in "
        f"{big_summary.seconds:.1f} s). Small: {small_summary.contacts:,} contacts. Server time is the p50 "
        "of repeated requests through the Flask test client, signed in as a supervisor. "
        f"Goal: each under {PAGE_GOAL_MS:.0f} ms, statement count the same on both.",
        "",
        "| page | p50 ms (big) | p50 ms (small) | big ÷ small | statements (big / small) | goal |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for big, small in zip(big_timings, small_timings, strict=True):
        if not big.available:
            lines.append(f"| {big.page.label} | {big.note} | | | | n/a |")
            continue
        ok = big.p50_ms < PAGE_GOAL_MS and big.statements == small.statements
        small_ms = f"{small.p50_ms:.1f}" if small.available else "n/a"
        ratio = f"{big.p50_ms / small.p50_ms:.1f}×" if small.available and small.p50_ms else "n/a"
        label = f"{big.page.label} ({big.note})" if big.note else big.page.label
        lines.append(
            f"| {label} | {big.p50_ms:.1f} | {small_ms} | {ratio} "
            f"| {big.statements} / {small.statements} | {_mark(ok)} |"
        )
    return lines + _slowest_statements(big_timings)


def _slowest_statements(timings) -> list[str]:
    """Where a slow page spends its time: its slowest statement on the big database."""
    slow = [t for t in timings if t.available and t.p50_ms >= PAGE_GOAL_MS and t.slowest_statement]
    if not slow:
        return [""]
    lines = [
        "",
        "The slowest statement of each page over the goal (big database, one request; the time runs "
        "from sending it to sending the next, so it includes fetching its rows):",
        "",
    ]
    for timing in slow:
        statement = timing.slowest_statement
        shown = statement[:400] + ("…" if len(statement) > 400 else "")
        lines.append(f"- {timing.page.label}: {timing.slowest_ms:,.0f} ms in `{shown}`")
    return lines + [""]


def memory_section(server_runs, exports) -> list[str]:
    lines = [
        "## 5. Memory",
        "",
        f"Goal: under {WORKER_GOAL_MIB:.0f} MiB per worker, flat in the export size.",
        "",
        "Resident memory (VmRSS) of each gunicorn worker right after its intake runs:",
        "",
        "| backend | workers | RSS per worker (MiB) | goal |",
        "| --- | ---: | --- | --- |",
    ]
    for run in server_runs:
        mib = [kib / 1024 for kib in run.worker_rss_kib]
        lines.append(
            f"| {run.backend} | {run.workers} | {', '.join(f'{m:.0f}' for m in mib)} "
            f"| {_mark(bool(mib) and max(mib) < WORKER_GOAL_MIB)} |"
        )
    lines += [
        "",
        "Peak resident memory of the workers while streaming the CSV export:",
        "",
        "| database | export | size | seconds | RSS before (MiB) | peak (MiB) | goal |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, export in exports:
        if not export.available:
            lines.append(f"| {label} | {export.note} | | | | | n/a |")
            continue
        note = f" ({export.note})" if export.note else ""
        lines.append(
            f"| {label} | `/contacts/export.csv`{note} | {export.bytes / 1e6:,.1f} MB | {export.seconds:.1f} "
            f"| {export.baseline_kib / 1024:.0f} | {export.peak_kib / 1024:.0f} "
            f"| {_mark(export.peak_kib / 1024 < WORKER_GOAL_MIB)} |"
        )
    return lines + [""]


def summary_section(data: dict) -> list[str]:
    """Each goal on one line: met or missed, with the figures behind it."""
    lines = ["## Goals at a glance", "", "| goal | result | figures |", "| --- | --- | --- |"]
    lines += _intake_summary(data.get("server_runs"))
    lines += _pick_summary(data.get("picks"))
    for backend, (cases, _log) in data.get("statements", {}).items():
        counts = sorted({count for _label, count, _commits in cases})
        # Issue 15: at most 5 on SQLite (with default source settings, as every case here).
        sqlite = backend == "sqlite"
        goal, met = ("a constant, at most 5", counts[-1] <= 5) if sqlite else ("a constant", True)
        lines.append(
            f"| statements per POST: {goal} ({backend}) | {_mark(len(counts) == 1 and met)} "
            f"| {'/'.join(map(str, counts))} statements in every case ({len(cases)} cases) |"
        )
    for backend, (big, small, big_summary, _small_summary) in data.get("dashboards", {}).items():
        lines += _dashboard_summary(backend, big, small, big_summary.contacts)
    lines += _memory_summary(data.get("server_runs"), data.get("exports"))
    return lines + [""]


def _intake_summary(server_runs) -> list[str]:
    if not server_runs:
        return []
    ratios = [
        (run.results[c, INTAKE].rps / run.results[c, FLOOR_COMMIT].rps, run, c)
        for run in server_runs
        for c in sorted({c for c, _name in run.results})
        if run.results[c, FLOOR_COMMIT].rps
    ]
    met = sum(ratio >= INTAKE_GOAL for ratio, _run, _c in ratios)
    low, high = min(ratios, key=lambda item: item[0]), max(ratios, key=lambda item: item[0])
    errors = sum(result.errors for run in server_runs for result in run.results.values())
    return [
        f"| intake ≥ 70% of the one-commit floor | {_mark(met == len(ratios))} ({met} of {len(ratios)}) "
        f"| {low[0]:.0%} ({low[1].backend}, {low[1].workers} w, c={low[2]}) to {high[0]:.0%} "
        f"({high[1].backend}, {high[1].workers} w, c={high[2]}); errors: {errors} |"
    ]


def _pick_summary(picks) -> list[str]:
    lines = []
    for backend, runs in (picks or {}).items():
        base = runs[0].result
        sized = [run for run in runs if not run.held]
        shown = ", ".join(
            f"{run.operators:,} (w ≤ {run.max_weight:,}): {run.result.p50_ms / (base.p50_ms or 1):.2f}×"
            for run in sized
        )
        goal = [_pick_goal(run, base) for run in sized if run.operators == PICK_GOAL_OPERATORS]
        lines.append(
            f"| pick: {PICK_GOAL_OPERATORS:,} operators within {PICK_GOAL}× of 10 ({backend}) "
            f"| {_mark(all(goal) if goal else None)} | {shown} |"
        )
        for run in runs:
            if run.held:
                share = run.result.rps / base.rps if base.rps else 0
                lines.append(
                    f"| intake with {run.held:,} open contacts held ≥ {HELD_GOAL:.0%} of none ({backend}) "
                    f"| {_mark(_pick_goal(run, base))} | {share:.0%} |"
                )
    return lines


def _dashboard_summary(backend: str, big, small, contacts: int) -> list[str]:
    if not big:
        return []
    available = [(b, s) for b, s in zip(big, small, strict=True) if b.available]
    if not available:
        return [f"| dashboard pages under 100 ms ({backend}) | n/a | no page available |"]
    slow = [b for b, _s in available if b.p50_ms >= PAGE_GOAL_MS]
    constant = all(b.statements == s.statements for b, s in available)
    missing = len(big) - len(available)
    worst = max(available, key=lambda pair: pair[0].p50_ms)[0]
    absent = f"; {missing} not available" if missing else ""
    return [
        f"| dashboard pages under 100 ms at {contacts:,} contacts ({backend}) | {_mark(not slow)} "
        f"({len(available) - len(slow)} of {len(available)}{absent}) "
        f"| slowest: {worst.page.label} {worst.p50_ms:,.0f} ms |",
        f"| dashboard statement counts constant in the data size ({backend}) | {_mark(constant)} "
        f"| {', '.join(str(b.statements) for b, _s in available)} |",
    ]


def _memory_summary(server_runs, exports) -> list[str]:
    lines = []
    if server_runs:
        worst = max((kib for run in server_runs for kib in run.worker_rss_kib), default=0) / 1024
        lines.append(
            f"| worker RSS under 150 MiB | {_mark(worst < WORKER_GOAL_MIB)} | at most {worst:.0f} MiB |"
        )
    done = [(label, export) for label, export in exports or [] if export.available]
    if done:
        peaks = ", ".join(f"{label}: {export.peak_kib / 1024:.0f} MiB" for label, export in done)
        ok = all(export.peak_kib / 1024 < WORKER_GOAL_MIB for _label, export in done)
        lines.append(f"| CSV export: peak under 150 MiB, flat in size | {_mark(ok)} | {peaks} |")
    return lines

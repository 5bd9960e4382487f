"""Copy the figures of bench/results/latest.md into BENCHMARKS.md (between its figure markers).

    .venv/bin/python -m bench.publish

Everything of the report goes in except the per-run latency table and the statement listing,
which stay in latest.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
LEFT_OUT = (
    re.compile(r"^Latency of every run \(ms\):\n\n(?:\|.*\n)+\n?", re.MULTILINE),
    re.compile(r" The statements \(base case\):\n\n(?:\d+\. .*\n)+", re.MULTILINE),
)


def figures(report: str) -> str:
    """The report without its title block, each section one heading level down."""
    body = report[report.index("## ") :]
    for pattern in LEFT_OUT:
        body = pattern.sub(lambda match: "\n" if match.group(0).startswith(" ") else "", body)
    header = report[: report.index("## ")].replace("# Benchmark results\n\n", "")
    return (
        "Measured by the run below:\n\n" + header + body.replace("\n## ", "\n### ").replace("## ", "### ", 1)
    )


def publish(report_path: Path, target: Path) -> None:
    text = target.read_text()
    before, rest = text.split(START, 1)
    _old, after = rest.split(END, 1)
    target.write_text(f"{before}{START}\n{figures(report_path.read_text()).strip()}\n{END}{after}")


if __name__ == "__main__":
    publish(ROOT / "bench" / "results" / "latest.md", ROOT / "BENCHMARKS.md")
    sys.exit(0)

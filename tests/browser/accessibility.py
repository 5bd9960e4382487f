"""axe-core in the page under test: the rules a screen-reader or keyboard user would trip over.

axe is vendored for the tests alone (tests/browser/vendor/README.md). Its source is evaluated
through Playwright (the DevTools protocol), which the dashboard's strict CSP does not govern;
an added <script> tag would be refused by the policy, as it should be.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
# What fails a test: axe's two highest impacts. "moderate" and "minor" are reported, not failed.
FAILING_IMPACTS = ("serious", "critical")

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n =>
      n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))
  }));
}"""


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, state: str) -> list[str]:
    """axe's serious and critical findings on the page as it is now, one line per rule and state."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source() + "\n;true")
    found = page.evaluate(RUN_AXE)
    return [
        f"[{state}] {item['impact']} {item['id']} ({item['help']}): " + " | ".join(item["targets"])
        for item in found
        if item["impact"] in FAILING_IMPACTS
    ]

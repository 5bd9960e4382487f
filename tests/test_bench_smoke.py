"""A few seconds of `make bench` (tiny sizes, one short load run per endpoint) so that the bench
scripts cannot rot. It checks that every section runs and that every request succeeded; it never
looks at a time."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench import publish
from bench.databases import DatabaseFactory
from bench.generate import fill
from bench.run import QUICK, run
from tests.conftest import BACKEND
from webapp import create_app, leads
from webapp.extensions import db

pytestmark = pytest.mark.bench

SMOKE = replace(
    QUICK,
    backends=(BACKEND,),
    detail_backend=BACKEND,
    dashboard_backends=(BACKEND,),
    workers=(1,),
    concurrencies=(2,),
    seconds=0.3,
    pick_sizes=(10,),
    pick_seconds=0.3,
    statement_operators=20,
    statement_history=20,
    profile_requests=3,
    big_contacts=200,
    big_operators=10,
    small_contacts=50,
    page_repeats=1,
    exports=False,
    tool="python",  # wrk's runs last whole seconds; make bench uses wrk
)


@pytest.fixture
def factory(database_template, tmp_path):
    """Bench databases on this run's backend (PostgreSQL: the test cluster)."""
    if BACKEND == "postgresql":
        return DatabaseFactory("postgresql", tmp_path, server_url=database_template.rsplit("/", 1)[0])
    return DatabaseFactory("sqlite", tmp_path)


def test_quick_bench_runs_every_section_and_writes_the_report(factory, tmp_path):
    output = tmp_path / "results" / "latest.md"

    outcome = run(SMOKE, "smoke", output, factories={BACKEND: factory})

    assert outcome.failures == []
    text = Path(output).read_text()
    for heading in (
        "## 1. Intake",
        "What the per-source features cost",
        "## 2. Cost of the pick",
        "## 3. SQL statements",
        "## 4. Dashboard",
        "## 5. Memory",
        "## 6. What-if simulator",
    ):
        assert heading in text
    results = [result for server in outcome.data["server_runs"] for result in server.results.values()]
    results += [pick.result for runs in outcome.data["picks"].values() for pick in runs]
    assert len(results) == 4 + 2  # two floors, intake, intake with every feature on; one pick, one held
    assert all(result.requests > 0 and result.errors == 0 for result in results)
    assert all(server.worker_rss_kib for server in outcome.data["server_runs"])
    [(cases, _log)] = outcome.data["statements"].values()
    assert len({count for _label, count, _commits in cases}) == 1
    assert outcome.data["simulation"].contacts > 0

    benchmarks = tmp_path / "BENCHMARKS.md"
    benchmarks.write_text(f"intro\n{publish.START}\nold figures\n{publish.END}\nanalysis\n")
    publish.publish(output, benchmarks)
    published = benchmarks.read_text()
    assert "old figures" not in published
    assert published.startswith("intro\n") and published.endswith("analysis\n")
    assert "### Goals at a glance" in published and "Latency of every run" not in published


def test_a_page_the_app_lacks_is_reported_as_not_available(factory, monkeypatch):
    from bench import dashboard

    url = factory.new_migrated("bench_smoke_pages")
    monkeypatch.setattr(dashboard, "PAGES", (dashboard.Page("a page nobody built", "/no-such-page"),))

    [timing] = dashboard.time_pages(url, repeats=1)

    assert not timing.available
    assert "not available" in timing.note


def test_the_generated_database_passes_the_check_and_has_duplicates(factory):
    """The generator loads with some triggers off and writes what they would have: `flask check`
    finds nothing to mend, and the duplicates page has the group the generator made."""
    url = factory.new_migrated("filled")
    fill(url, operators=10, sources=2, contacts=3000)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "smoke"})
    result = app.test_cli_runner().invoke(args=["check"])
    with app.app_context():
        groups = leads.duplicate_groups(db.session)
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert [(group.matched_on, len(group.leads)) for group in groups] == [("phone", 2)]

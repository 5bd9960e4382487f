"""A source's "try it" mode: a replay beside what happened, then apply or plan; plans listed with cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import make_contact, make_operator, make_source
from tests.dashboard.conftest import get, post
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.models import OperatorSourceWeight, WeightPlan


@pytest.fixture
def floor(app):
    anna, boris = make_operator("Anna", limit=2), make_operator("Boris", limit=2)
    source = make_source("Telegram", weights={anna: 1, boris: 1})
    for number in range(4):
        make_contact(source, external_id=f"t-{number}")
    return anna, boris, source


def weights(source_id):
    db.session.remove()
    rows = db.session.execute(
        OperatorSourceWeight.__table__.select().where(OperatorSourceWeight.source_id == source_id)
    ).all()
    return {row.operator_id: row.weight for row in rows}


def test_the_replay_beside_what_really_happened(manager, floor):
    anna, boris, source = floor
    sandbox = f"days=1&weight-{anna.id}=1&weight-{boris.id}=0&limit-{anna.id}=3"
    page = get(manager, f"/sources/{source.id}/try?{sandbox}")
    rows = {row.th.get_text(): row for row in page.select("[data-testid=try-row]")}
    assert rows["Anna"].select_one("[data-testid=try-share]").get_text() == "75 %"
    assert rows["Anna"].select_one("[data-testid=try-peak]").get_text() == "3"
    assert rows["Anna"].select_one("[data-testid=real-share]").get_text() == "50 %"
    assert "Would have waited for an operator: 1; really waited: 0." in page.text("[data-testid=try-summary]")
    assert page.one("canvas[data-chart]")
    assert not page.select("[data-testid=apply-form]")  # a manager only looks


def test_the_htmx_answer_is_the_simulation_block(supervisor, floor):
    _anna, _boris, source = floor
    fragment = get(supervisor, f"/sources/{source.id}/try?days=2", htmx=True)
    assert fragment.soup.find("html") is None and fragment.one("#simulation")


def test_a_bad_number_is_shown_inline(supervisor, floor):
    anna, _boris, source = floor
    page = get(supervisor, f"/sources/{source.id}/try?days=200&weight-{anna.id}=-1", status=422)
    assert page.one("[data-testid=error-days]") and page.one(f"[data-testid=error-weight-{anna.id}]")
    assert not page.select("[data-testid=try-summary]")


def test_apply_saves_the_tried_weights(supervisor, floor):
    anna, boris, source = floor
    form = {f"weight-{anna.id}": "3", f"weight-{boris.id}": "0"}
    response = supervisor.post(f"/sources/{source.id}/try/apply", data=form)
    assert response.status_code == 302
    assert weights(source.id) == {anna.id: 3}


def test_plan_shown_on_the_source_page_and_cancelled(supervisor, floor):
    anna, boris, source = floor
    start = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    end = (utcnow() + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M")
    form = {f"weight-{anna.id}": "1", f"weight-{boris.id}": "2", "start": start, "end": end}
    assert supervisor.post(f"/sources/{source.id}/weight-plans", data=form).status_code == 302
    page = get(supervisor, f"/sources/{source.id}")
    (row,) = page.select("[data-testid=plan-row]")
    assert row["data-status"] == "scheduled" and "Anna 1, Boris 2" in row.get_text()
    assert weights(source.id) == {anna.id: 1, boris.id: 1}  # not yet
    post(supervisor, page.one("[data-testid=cancel-plan]").find_parent("form")["action"], {})
    db.session.remove()
    assert db.session.get(WeightPlan, int(row["data-plan-id"])).status == "cancelled"
    assert not get(supervisor, f"/sources/{source.id}").select("[data-testid=cancel-plan]")


def test_a_plan_that_cannot_be_is_explained(supervisor, floor):
    anna, _boris, source = floor
    start = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page = post(supervisor, f"/sources/{source.id}/weight-plans",
                {f"weight-{anna.id}": "1", "start": start, "end": start}, status=422)
    assert page.text("[data-testid=error-end]") == "Give an end after the start, still ahead."
    page = post(supervisor, f"/sources/{source.id}/weight-plans", {f"weight-{anna.id}": "1", "start": "soon"},
                status=422)
    assert page.one("[data-testid=error-start]")
    assert db.session.query(WeightPlan).count() == 0


def test_an_overlapping_plan_is_refused_in_words(supervisor, floor):
    anna, _boris, source = floor
    start = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = {f"weight-{anna.id}": "1", "start": start}
    assert supervisor.post(f"/sources/{source.id}/weight-plans", data=form).status_code == 302
    page = post(supervisor, f"/sources/{source.id}/weight-plans", form, status=422)
    assert page.text("[data-testid=error-plan]") == (
        "Another weight plan of this source overlaps that period; cancel it first."
    )

"""The operators page's shift column, the availability page (schedule editor, absences) and the
assign menu's marking of operators who are away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.builders import committed, make_contact, make_operator, make_source
from tests.dashboard.conftest import get, post
from webapp import schedules
from webapp.extensions import db
from webapp.models import Contact, Operator

NOW = datetime.now(UTC)


def never_now():
    day = (NOW + timedelta(days=3)).weekday()
    return {"timezone": "UTC", "weekly": [{"day": day, "start": "03:00", "end": "03:01"}]}


def always_now():
    return {"timezone": "UTC", "weekly": [{"day": d, "start": "00:00", "end": "24:00"} for d in range(7)]}


def schedule_of(operator_id):
    db.session.rollback()
    return db.session.get(Operator, operator_id).schedule


def test_the_operators_page_says_who_is_on_shift_and_until_when(supervisor):
    anna, boris, clara = make_operator("Anna"), make_operator("Boris"), make_operator("Clara")
    committed(schedules.set_schedule, boris.id, never_now())
    committed(schedules.add_absence, clara.id, NOW - timedelta(hours=1), NOW + timedelta(hours=1), None)
    dora = make_operator("Dora")
    committed(schedules.set_schedule, dora.id, always_now())
    page = get(supervisor, "/operators")
    cells = {row["data-operator-id"]: row.select_one("[data-testid=shift]")
             for row in page.select("[data-testid=operator-row]")}
    assert cells[str(anna.id)].select("[data-testid=shift-always]")
    boris_cell = cells[str(boris.id)]
    assert boris_cell.select("[data-testid=shift-off]") and "from" in boris_cell.get_text()
    assert cells[str(clara.id)].select("[data-testid=shift-absent]")
    assert cells[str(dora.id)].select("[data-testid=shift-on]") and "until" in cells[str(dora.id)].get_text()


def test_the_schedule_editor_saves_a_week_and_a_night_shift(supervisor):
    anna = make_operator("Anna")
    form = {"timezone": "Europe/Moscow", "start_0": "09:00", "end_0": "18:00",
            "start_4": "22:00", "end_4": "06:00"}
    post(supervisor, f"/operators/{anna.id}/schedule", form, status=302)
    assert schedule_of(anna.id) == {"timezone": "Europe/Moscow", "weekly": [
        {"day": 0, "start": "09:00", "end": "18:00"}, {"day": 4, "start": "22:00", "end": "06:00"}]}
    page = get(supervisor, f"/operators/{anna.id}/availability")
    monday = page.one("[data-testid=schedule-day][data-day='0']")
    assert [i["value"] for i in monday.select("input")] == ["09:00", "18:00"]
    post(supervisor, f"/operators/{anna.id}/schedule", {"always": "true", "timezone": "UTC"}, status=302)
    assert schedule_of(anna.id) is None


def test_a_bad_schedule_is_explained_inline_and_nothing_changes(supervisor):
    anna = make_operator("Anna")
    form = {"timezone": "Mars/Base", "start_1": "25:00", "end_1": "18:00", "start_2": "09:00"}
    page = post(supervisor, f"/operators/{anna.id}/schedule", form, htmx=True, status=422)
    assert page.select("[data-testid=error-timezone]")
    assert page.select("[data-testid=error-day_1]") and page.select("[data-testid=error-day_2]")
    assert page.one("[data-testid=schedule-timezone]")["value"] == "Mars/Base"  # what was typed stays
    assert schedule_of(anna.id) is None


def test_absences_are_added_in_the_user_s_zone_and_removed(supervisor):
    anna = make_operator("Anna")
    post(supervisor, f"/operators/{anna.id}/absences",
         {"start": "2030-01-01T09:00", "end": "2030-01-05T18:00", "note": "holiday"}, status=302)
    db.session.rollback()
    (absence,) = schedules.absences_of(db.session, anna.id)
    # The user's zone is the deployment's default here, UTC.
    assert (absence.start, absence.end, absence.note) == (
        datetime(2030, 1, 1, 9, tzinfo=UTC), datetime(2030, 1, 5, 18, tzinfo=UTC), "holiday")
    page = get(supervisor, f"/operators/{anna.id}/availability")
    assert len(page.select("[data-testid=absence-row]")) == 1
    post(supervisor, f"/operators/{anna.id}/absences/{absence.id}/delete", {}, status=302)
    db.session.rollback()
    assert schedules.absences_of(db.session, anna.id) == []


def test_an_absence_that_ends_before_it_starts_is_explained(supervisor):
    anna = make_operator("Anna")
    backwards = {"start": "2030-01-05T09:00", "end": "2030-01-01T09:00"}
    page = post(supervisor, f"/operators/{anna.id}/absences", backwards, htmx=True, status=422)
    assert page.select("[data-testid=error-end]")
    assert schedules.absences_of(db.session, anna.id) == []


def test_a_manager_sees_the_page_but_no_forms(manager):
    anna = make_operator("Anna")
    page = get(manager, f"/operators/{anna.id}/availability")
    assert page.select("[data-testid=shift-now]")
    assert page.select("[data-testid=schedule-form]") == []
    assert page.select("[data-testid=absence-form]") == []


def test_the_assign_menu_marks_away_operators_as_needing_the_override(supervisor):
    make_operator("Anna")
    boris = make_operator("Boris")
    committed(schedules.set_schedule, boris.id, never_now())
    contact = make_contact(make_source())
    page = get(supervisor, f"/contacts/{contact.id}/assign")
    options = page.select("[data-testid=assign-select] option")
    names = [o.get_text(" ", strip=True) for o in options]
    assert names[0].startswith("Anna")  # who can take it comes first
    [boris_option] = [o for o in options if o.get_text().startswith("Boris")]
    assert "off shift" in boris_option.get_text() and boris_option.has_attr("data-needs-override")
    db.session.rollback()
    assert db.session.get(Contact, contact.id).operator_id is None

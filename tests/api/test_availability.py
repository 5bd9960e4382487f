"""Operator schedules and absences through /api/v1: validation, available, absences CRUD."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import assert_problem
from tests.builders import make_contact, make_operator, make_source

NOW = datetime.now(UTC)


def never_now():
    """A schedule whose one short shift is three days away."""
    day = (NOW + timedelta(days=3)).weekday()
    return {"timezone": "UTC", "weekly": [{"day": day, "start": "03:00", "end": "03:01"}]}


def test_a_schedule_is_saved_shown_and_makes_the_operator_unavailable(api):
    anna = make_operator("Anna")
    response = api.patch(f"/api/v1/operators/{anna.id}", json={"schedule": never_now()})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["schedule"], body["available"]) == (never_now(), False)
    assert api.get(f"/api/v1/operators/{anna.id}").get_json()["available"] is False
    listed = api.get("/api/v1/operators/").get_json()["items"]
    assert [(o["id"], o["available"]) for o in listed] == [(anna.id, False)]
    # Renaming leaves the schedule; null means always on shift again.
    renamed = api.patch(f"/api/v1/operators/{anna.id}", json={"name": "Anna K"}).get_json()
    assert renamed["schedule"] == never_now()
    back = api.patch(f"/api/v1/operators/{anna.id}", json={"schedule": None}).get_json()
    assert (back["schedule"], back["available"]) == (None, True)


def test_an_off_shift_operator_gets_no_contacts_and_the_record_says_why(api):
    anna = make_operator("Anna")
    api.patch(f"/api/v1/operators/{anna.id}", json={"schedule": never_now()})
    source = make_source(weights={anna: 1})
    contact = make_contact(source)
    assert contact.operator_id is None
    (record,) = api.get(f"/api/v1/contacts/{contact.id}/assignments").get_json()["items"]
    assert record["candidates"][0]["excluded_because"] == "off_shift"


def test_removing_the_schedule_hands_her_the_waiting_contacts(api):
    anna = make_operator("Anna")
    api.patch(f"/api/v1/operators/{anna.id}", json={"schedule": never_now()})
    contact = make_contact(make_source(weights={anna: 1}))
    api.patch(f"/api/v1/operators/{anna.id}", json={"schedule": None})
    assert api.get(f"/api/v1/contacts/{contact.id}").get_json()["operator_id"] == anna.id


@pytest.mark.parametrize("schedule", [
    {"timezone": "Mars/Olympus", "weekly": []},
    {"timezone": "UTC", "weekly": [{"day": 7, "start": "09:00", "end": "17:00"}]},
    {"timezone": "UTC", "weekly": [{"day": 0, "start": "9:00", "end": "17:00"}]},
    {"timezone": "UTC", "weekly": [{"day": 0, "start": "09:00", "end": "24:01"}]},
    {"timezone": "UTC", "weekly": [{"day": 0, "start": "24:00", "end": "06:00"}]},
    {"timezone": "UTC", "weekly": [{"day": 0, "start": "09:00", "end": "09:00"}]},
    {"timezone": "UTC"},
    {"weekly": []},
    "always",
])
def test_a_bad_schedule_is_a_422_and_changes_nothing(api, schedule):
    anna = make_operator("Anna")
    response = api.patch(f"/api/v1/operators/{anna.id}", json={"schedule": schedule, "name": "Changed"})
    assert_problem(response, 422)
    assert api.get(f"/api/v1/operators/{anna.id}").get_json()["name"] == "Anna"


def test_absences_are_added_listed_and_deleted(api):
    anna = make_operator("Anna")
    path = f"/api/v1/operators/{anna.id}/absences"
    start, end = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    created = api.post(path, json={"start": start.isoformat(), "end": end.isoformat(), "note": "dentist"})
    assert created.status_code == 201, created.get_json()
    absence = created.get_json()
    assert set(absence) == {"id", "operator_id", "start", "end", "note"}
    assert (absence["operator_id"], absence["note"]) == (anna.id, "dentist")
    assert api.get(f"/api/v1/operators/{anna.id}").get_json()["available"] is False
    assert api.get(path).get_json()["items"] == [absence]
    assert api.delete(f"{path}/{absence['id']}").status_code == 204
    assert api.get(path).get_json()["items"] == []
    assert api.get(f"/api/v1/operators/{anna.id}").get_json()["available"] is True


def test_a_timestamp_without_offset_is_utc(api):
    anna = make_operator("Anna")
    body = api.post(f"/api/v1/operators/{anna.id}/absences",
                    json={"start": "2030-01-01T09:00:00", "end": "2030-01-01T11:00:00+01:00"}).get_json()
    assert (body["start"], body["end"]) == ("2030-01-01T09:00:00+00:00", "2030-01-01T10:00:00+00:00")


@pytest.mark.parametrize("times", [
    {"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"},
    {"start": "2030-01-01T00:00:00Z", "end": "2030-01-01T00:00:00Z"},
    {"start": "tomorrow", "end": "2030-01-01T00:00:00Z"},
    {"start": "2030-01-01T00:00:00Z"},
])
def test_a_bad_absence_is_a_422(api, times):
    anna = make_operator("Anna")
    assert_problem(api.post(f"/api/v1/operators/{anna.id}/absences", json=times), 422)
    assert api.get(f"/api/v1/operators/{anna.id}/absences").get_json()["items"] == []


def test_unknown_operators_and_absences_are_404(api):
    anna, boris = make_operator("Anna"), make_operator("Boris")
    theirs = api.post(f"/api/v1/operators/{boris.id}/absences",
                      json={"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}).get_json()
    response = api.delete(f"/api/v1/operators/{anna.id}/absences/{theirs['id']}")
    assert_problem(response, 404)
    assert_problem(api.get("/api/v1/operators/999/absences"), 404)

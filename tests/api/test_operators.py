"""Operators through /api/v1: create, list, get, status, rename and limit."""

from __future__ import annotations

import pytest

from tests.api.conftest import ISO_UTC, assert_problem
from tests.builders import make_contact, make_operator, make_source

OPERATOR_FIELDS = {"id", "name", "status", "max_active_contacts", "active_contacts", "created_at", "schedule",
                   "available"}


def assert_operator_shape(operator: dict) -> None:
    assert set(operator) == OPERATOR_FIELDS
    assert isinstance(operator["id"], int)
    assert operator["status"] in ("active", "inactive")
    assert ISO_UTC.match(operator["created_at"]), operator["created_at"]


@pytest.mark.parametrize("path", ["/api/v1/operators/", "/api/v1/operators"])
def test_create_operator_with_and_without_trailing_slash(api, path):
    response = api.post(path, json={"name": "Anna", "max_active_contacts": 7})
    assert response.status_code == 201
    operator = response.get_json()
    assert_operator_shape(operator)
    assert operator | {"id": 0, "created_at": ""} == {
        "id": 0,
        "name": "Anna",
        "status": "active",
        "max_active_contacts": 7,
        "active_contacts": 0,
        "created_at": "",
        "schedule": None,
        "available": True,
    }


def test_create_inactive_operator(api):
    response = api.post(
        "/api/v1/operators/", json={"name": "Vera", "max_active_contacts": 0, "status": "inactive"}
    )
    assert response.status_code == 201
    assert response.get_json()["status"] == "inactive"


@pytest.mark.parametrize("path", ["/api/v1/operators/", "/api/v1/operators"])
def test_list_operators_with_their_load(api, path):
    anna = make_operator("Anna", limit=5)
    make_operator("Boris", limit=5)
    source = make_source(weights={anna: 1})
    make_contact(source)
    make_contact(source)
    response = api.get(path)
    assert response.status_code == 200
    items = response.get_json()["items"]
    for item in items:
        assert_operator_shape(item)
    assert [(item["name"], item["active_contacts"]) for item in items] == [("Anna", 2), ("Boris", 0)]


def test_active_contacts_counts_new_and_in_progress_only(api):
    anna = make_operator("Anna", limit=5)
    source = make_source(weights={anna: 1})
    first, second, third = make_contact(source), make_contact(source), make_contact(source)
    api.put(f"/api/v1/contacts/{second.id}/status", json={"status": "in_progress"})
    api.put(f"/api/v1/contacts/{third.id}/status", json={"status": "closed"})
    assert first.operator_id == anna.id
    assert api.get(f"/api/v1/operators/{anna.id}").get_json()["active_contacts"] == 2


def test_get_operator(api):
    anna = make_operator("Anna", limit=3)
    response = api.get(f"/api/v1/operators/{anna.id}")
    assert response.status_code == 200
    assert_operator_shape(response.get_json())
    assert response.get_json()["name"] == "Anna"


@pytest.mark.parametrize("operator_id", [999, 99999999999, 0])
def test_unknown_operator_is_404(api, operator_id):
    assert_problem(api.get(f"/api/v1/operators/{operator_id}"), 404)
    assert_problem(api.put(f"/api/v1/operators/{operator_id}/status", json={"status": "active"}), 404)
    assert_problem(api.patch(f"/api/v1/operators/{operator_id}", json={"name": "X"}), 404)


def test_switch_operator_off_and_on(api):
    anna = make_operator("Anna")
    response = api.put(f"/api/v1/operators/{anna.id}/status", json={"status": "inactive"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "inactive"
    assert api.get(f"/api/v1/operators/{anna.id}").get_json()["status"] == "inactive"
    assert api.put(f"/api/v1/operators/{anna.id}/status", json={"status": "active"}).get_json()["status"] == (
        "active"
    )


def test_rename_and_change_limit(api):
    anna = make_operator("Anna", limit=3)
    response = api.patch(f"/api/v1/operators/{anna.id}", json={"name": "Anna K.", "max_active_contacts": 9})
    assert response.status_code == 200
    assert_operator_shape(response.get_json())
    assert (response.get_json()["name"], response.get_json()["max_active_contacts"]) == ("Anna K.", 9)
    only_limit = api.patch(f"/api/v1/operators/{anna.id}", json={"max_active_contacts": 4}).get_json()
    assert (only_limit["name"], only_limit["max_active_contacts"]) == ("Anna K.", 4)


def test_lowering_the_limit_below_the_load_reassigns_nothing(api):
    anna = make_operator("Anna", limit=5)
    boris = make_operator("Boris", limit=5)
    source = make_source(weights={anna: 1})
    held = [make_contact(source).id for _ in range(4)]
    api.put(
        f"/api/v1/sources/{source.id}/weights",
        json={"weights": [{"operator_id": anna.id, "weight": 1}, {"operator_id": boris.id, "weight": 1}]},
    )
    response = api.patch(f"/api/v1/operators/{anna.id}", json={"max_active_contacts": 1})
    assert response.status_code == 200
    assert response.get_json()["active_contacts"] == 4
    owners = {api.get(f"/api/v1/contacts/{cid}").get_json()["operator_id"] for cid in held}
    assert owners == {anna.id}
    # No new contact for Anna until she is below the limit again.
    new = [make_contact(source).operator_id for _ in range(3)]
    assert new == [boris.id] * 3


def test_duplicate_operator_name_is_409(api, unchanged):
    make_operator("Anna")
    with unchanged():
        assert_problem(api.post("/api/v1/operators/", json={"name": "Anna", "max_active_contacts": 1}), 409)


@pytest.mark.parametrize("other", ["anna", "ANNA", "aNNa"])
def test_operator_names_clash_regardless_of_case(api, unchanged, other):
    make_operator("Anna")
    with unchanged():
        body = {"name": other, "max_active_contacts": 1}
        problem = assert_problem(api.post("/api/v1/operators/", json=body), 409)
    assert other in problem["detail"]


def test_cyrillic_operator_names_clash_regardless_of_case_too(api, unchanged):
    """SQLite's lower() folds ASCII only; the rule must hold for Russian names on both backends."""
    make_operator("Анна")
    with unchanged():
        assert_problem(api.post("/api/v1/operators/", json={"name": "АННА", "max_active_contacts": 1}), 409)


def test_renaming_onto_another_operator_in_other_case_is_409_and_a_case_change_of_ones_own_name_is_fine(
    api, unchanged
):
    make_operator("Anna")
    boris = make_operator("Boris")
    with unchanged():
        assert_problem(api.patch(f"/api/v1/operators/{boris.id}", json={"name": "anna"}), 409)
    response = api.patch(f"/api/v1/operators/{boris.id}", json={"name": "BORIS"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "BORIS"


def test_renaming_onto_another_operator_is_409(api, unchanged):
    make_operator("Anna")
    boris = make_operator("Boris")
    with unchanged():
        assert_problem(api.patch(f"/api/v1/operators/{boris.id}", json={"name": "Anna"}), 409)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"max_active_contacts": 1}, "name"),
        ({"name": "Anna"}, "max_active_contacts"),
        ({"name": "", "max_active_contacts": 1}, "name"),
        ({"name": "x" * 201, "max_active_contacts": 1}, "name"),
        ({"name": "Anna", "max_active_contacts": "5"}, "max_active_contacts"),
        ({"name": "Anna", "max_active_contacts": True}, "max_active_contacts"),
        ({"name": "Anna", "max_active_contacts": 1.5}, "max_active_contacts"),
        ({"name": "Anna", "max_active_contacts": -1}, "max_active_contacts"),
        ({"name": "Anna", "max_active_contacts": 100_001}, "max_active_contacts"),
        ({"name": "Anna", "max_active_contacts": 1, "status": "asleep"}, "status"),
        ({"name": "An\x00na", "max_active_contacts": 1}, "name"),
        ({"name": 5, "max_active_contacts": 1}, "name"),
    ],
)
def test_invalid_operator_is_422_naming_the_field(api, unchanged, body, field):
    with unchanged():
        assert_problem(api.post("/api/v1/operators/", json=body), 422, field=field)


@pytest.mark.parametrize(
    "body, field",
    [({"status": "paused"}, "status"), ({}, "status"), ({"status": 1}, "status")],
)
def test_invalid_status_is_422(api, unchanged, body, field):
    anna = make_operator("Anna")
    with unchanged():
        assert_problem(api.put(f"/api/v1/operators/{anna.id}/status", json=body), 422, field=field)


def test_invalid_patch_is_422(api, unchanged):
    anna = make_operator("Anna")
    with unchanged():
        assert_problem(
            api.patch(f"/api/v1/operators/{anna.id}", json={"max_active_contacts": "9"}),
            422,
            field="max_active_contacts",
        )

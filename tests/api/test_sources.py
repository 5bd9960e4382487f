"""Sources and their weights through /api/v1."""

from __future__ import annotations

import pytest

from tests.api.conftest import ISO_UTC, assert_problem
from tests.builders import make_operator, make_source


def assert_source_shape(source: dict) -> None:
    assert set(source) == {
        "id", "name", "description", "weights", "created_at",
        "paused", "auto_drain", "sticky_days", "intake_per_minute", "wait_target_minutes", "waiting",
        "response_timeout_minutes", "webhook_url",
    }
    assert set(source["waiting"]) == {"count", "oldest_seconds", "overdue"}
    assert ISO_UTC.match(source["created_at"])
    for weight in source["weights"]:
        assert set(weight) == {"operator_id", "operator_name", "weight"}


@pytest.mark.parametrize("path", ["/api/v1/sources/", "/api/v1/sources"])
def test_create_source(api, path):
    response = api.post(path, json={"name": "Telegram", "description": "The sales bot"})
    assert response.status_code == 201
    source = response.get_json()
    assert_source_shape(source)
    assert (source["name"], source["description"], source["weights"]) == ("Telegram", "The sales bot", [])


def test_description_is_optional(api):
    source = api.post("/api/v1/sources/", json={"name": "Widget"}).get_json()
    assert source["description"] is None


@pytest.mark.parametrize("path", ["/api/v1/sources/", "/api/v1/sources"])
def test_list_and_get_sources(api, path):
    anna = make_operator("Anna")
    first = make_source("Telegram", weights={anna: 3})
    make_source("Widget")
    response = api.get(path)
    assert response.status_code == 200
    items = response.get_json()["items"]
    for item in items:
        assert_source_shape(item)
    assert [item["name"] for item in items] == ["Telegram", "Widget"]
    one = api.get(f"/api/v1/sources/{first.id}").get_json()
    assert one["weights"] == [{"operator_id": anna.id, "operator_name": "Anna", "weight": 3}]


@pytest.mark.parametrize("source_id", [999, 99999999999])
def test_unknown_source_is_404(api, source_id):
    assert_problem(api.get(f"/api/v1/sources/{source_id}"), 404)
    assert_problem(api.put(f"/api/v1/sources/{source_id}/weights", json={"weights": []}), 404)


def test_replace_weights_replaces_the_whole_set(api):
    anna, boris, vera = make_operator("Anna"), make_operator("Boris"), make_operator("Vera")
    source = make_source("Telegram", weights={anna: 1, boris: 2})
    response = api.put(
        f"/api/v1/sources/{source.id}/weights",
        json={"weights": [{"operator_id": vera.id, "weight": 5}, {"operator_id": anna.id, "weight": 4}]},
    )
    assert response.status_code == 200
    assert_source_shape(response.get_json())
    assert response.get_json()["weights"] == [
        {"operator_id": anna.id, "operator_name": "Anna", "weight": 4},
        {"operator_id": vera.id, "operator_name": "Vera", "weight": 5},
    ]
    assert api.get(f"/api/v1/sources/{source.id}").get_json()["weights"] == response.get_json()["weights"]


def test_weight_zero_takes_the_operator_off(api):
    anna, boris = make_operator("Anna"), make_operator("Boris")
    source = make_source("Telegram", weights={anna: 1, boris: 2})
    response = api.put(
        f"/api/v1/sources/{source.id}/weights",
        json={"weights": [{"operator_id": anna.id, "weight": 0}, {"operator_id": boris.id, "weight": 2}]},
    )
    assert [w["operator_id"] for w in response.get_json()["weights"]] == [boris.id]


def test_empty_weights_clear_the_source(api):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 1})
    assert api.put(f"/api/v1/sources/{source.id}/weights", json={"weights": []}).get_json()["weights"] == []


def test_duplicate_source_name_is_409(api, unchanged):
    make_source("Telegram")
    with unchanged():
        assert_problem(api.post("/api/v1/sources/", json={"name": "Telegram"}), 409)


def test_source_names_clash_regardless_of_case(api, unchanged):
    make_source("Telegram")
    make_source("Сайт")
    with unchanged():
        assert_problem(api.post("/api/v1/sources/", json={"name": "TELEGRAM"}), 409)
        assert_problem(api.post("/api/v1/sources/", json={"name": "САЙТ"}), 409)


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "T", "description": 5}, "description"),
        ({"name": "T\x00"}, "name"),
    ],
)
def test_invalid_source_is_422(api, unchanged, body, field):
    with unchanged():
        assert_problem(api.post("/api/v1/sources/", json=body), 422, field=field)


@pytest.fixture
def weighted(app):
    anna, boris = make_operator("Anna"), make_operator("Boris")
    source = make_source("Telegram", weights={anna: 1})
    return source.id, anna.id, boris.id


def test_unknown_operator_in_weights_names_the_item(api, unchanged, weighted):
    source_id, anna_id, _ = weighted
    with unchanged():
        body = assert_problem(
            api.put(
                f"/api/v1/sources/{source_id}/weights",
                json={"weights": [{"operator_id": anna_id, "weight": 9}, {"operator_id": 999, "weight": 1}]},
            ),
            422,
            field="weights[1].operator_id",
        )
    assert [error["field"] for error in body["errors"]] == ["weights[1].operator_id"]


def test_same_operator_twice_names_the_second_item(api, unchanged, weighted):
    source_id, anna_id, boris_id = weighted
    weights = [
        {"operator_id": boris_id, "weight": 2},
        {"operator_id": boris_id, "weight": 3},
        {"operator_id": anna_id, "weight": 1},
    ]
    with unchanged():
        body = assert_problem(
            api.put(f"/api/v1/sources/{source_id}/weights", json={"weights": weights}),
            422,
            field="weights[1].operator_id",
        )
    assert [error["field"] for error in body["errors"]] == ["weights[1].operator_id"]


@pytest.mark.parametrize(
    "weights, field",
    [
        ([{"operator_id": 1, "weight": -1}], "weights[0].weight"),
        ([{"operator_id": 1, "weight": 1_000_001}], "weights[0].weight"),
        ([{"operator_id": 1, "weight": "2"}], "weights[0].weight"),
        ([{"operator_id": 1, "weight": 1}, {"operator_id": True, "weight": 1}], "weights[1].operator_id"),
        ([{"weight": 1}], "weights[0].operator_id"),
        ("all", "weights"),
    ],
)
def test_invalid_weights_are_422_with_the_path(api, unchanged, weighted, weights, field):
    source_id = weighted[0]
    with unchanged():
        assert_problem(
            api.put(f"/api/v1/sources/{source_id}/weights", json={"weights": weights}), 422, field=field
        )

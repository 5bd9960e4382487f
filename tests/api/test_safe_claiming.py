"""Safe changes to a contact: ETag on every contact answer, If-Match on the two contact PUTs."""

from __future__ import annotations

from tests.api.conftest import assert_problem
from tests.builders import make_contact, make_source


def _contact(team):
    """An unassigned contact: its source has nobody weighted."""
    return make_contact(make_source())


def _etag(api, contact_id) -> str:
    response = api.get(f"/api/v1/contacts/{contact_id}")
    assert response.status_code == 200
    return response.headers["ETag"]


def test_every_contact_answer_carries_an_etag_that_moves_with_operator_and_status(api, team):
    created = api.post("/api/v1/contacts/", json={"external_id": "tg:1", "source_id": team["source"]})
    assert created.status_code == 201
    contact_id = created.get_json()["id"]
    first = created.headers["ETag"]
    assert first.startswith('"') and first.endswith('"')
    assert _etag(api, contact_id) == first
    moved = api.put(f"/api/v1/contacts/{contact_id}/status", json={"status": "in_progress"})
    assert moved.headers["ETag"] != first
    assert _etag(api, contact_id) == moved.headers["ETag"]


def test_a_matching_if_match_applies_the_change(api, team):
    contact = _contact(team)
    etag = _etag(api, contact.id)
    response = api.put(
        f"/api/v1/contacts/{contact.id}/operator",
        json={"operator_id": team["anna"]},
        headers={"If-Match": etag},
    )
    assert response.status_code == 200
    assert response.get_json()["operator_id"] == team["anna"]
    assert response.headers["ETag"] != etag


def test_a_stale_if_match_is_a_412_and_changes_nothing(api, team, unchanged):
    contact = _contact(team)
    stale = _etag(api, contact.id)
    assert (
        api.put(f"/api/v1/contacts/{contact.id}/operator", json={"operator_id": team["anna"]}).status_code
        == 200
    )
    with unchanged():
        assert_problem(
            api.put(
                f"/api/v1/contacts/{contact.id}/operator",
                json={"operator_id": team["boris"]},
                headers={"If-Match": stale},
            ),
            412,
        )
        assert_problem(
            api.put(
                f"/api/v1/contacts/{contact.id}/status",
                json={"status": "closed"},
                headers={"If-Match": stale},
            ),
            412,
        )
        # A weak tag never matches for If-Match (strong comparison), even of the current version.
        current = _etag(api, contact.id)
        assert_problem(
            api.put(
                f"/api/v1/contacts/{contact.id}/status",
                json={"status": "closed"},
                headers={"If-Match": f"W/{current}"},
            ),
            412,
        )


def test_if_match_star_or_a_list_holding_the_current_version_applies(api, team):
    contact = _contact(team)
    current = _etag(api, contact.id)
    listed = api.put(
        f"/api/v1/contacts/{contact.id}/operator",
        json={"operator_id": team["anna"]},
        headers={"If-Match": f'"0000", {current}'},
    )
    assert listed.status_code == 200
    star = api.put(
        f"/api/v1/contacts/{contact.id}/status", json={"status": "closed"}, headers={"If-Match": "*"}
    )
    assert star.status_code == 200
    assert star.get_json()["status"] == "closed"


def test_without_if_match_version_one_behaviour_holds(api, team):
    contact = _contact(team)
    assert (
        api.put(f"/api/v1/contacts/{contact.id}/operator", json={"operator_id": team["anna"]}).status_code
        == 200
    )
    assert (
        api.put(f"/api/v1/contacts/{contact.id}/operator", json={"operator_id": team["boris"]}).status_code
        == 200
    )

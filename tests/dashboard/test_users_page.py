"""Supervisors manage users: create, change role, reset password, deactivate."""

from __future__ import annotations

from tests.builders import make_operator, make_user
from tests.conftest import PASSWORD
from tests.dashboard.conftest import get, post, sign_in
from webapp.models import User


def test_supervisor_creates_an_operator_user_who_can_sign_in(app, supervisor):
    anna = make_operator("Anna")
    form = {"username": "ola", "role": "operator", "operator_id": str(anna.id), "password": PASSWORD}
    assert post(supervisor, "/users", form).status == 302
    page = get(supervisor, "/users")
    assert "ola" in [row["data-username"] for row in page.select("[data-testid=user-row]")]
    client = app.test_client()
    response = client.post("/login", data={"username": "ola", "password": PASSWORD})
    assert response.headers["Location"] == "/my/contacts"


def test_bad_user_forms_are_refused_inline_and_keep_what_was_typed(app, session, supervisor):
    form = {"username": "ola", "role": "operator", "password": PASSWORD}
    page = post(supervisor, "/users", form, status=422)
    assert page.text("[data-testid=error-operator_id]") == "An operator user needs the operator they are."
    assert page.one("#new-username")["value"] == "ola"
    page = post(supervisor, "/users", {"username": "ola", "role": "manager", "password": "short"}, status=422)
    assert page.text("[data-testid=error-password]") == "A password is at least 8 characters."
    page = post(supervisor, "/users", form | {"username": "sue", "role": "manager"}, status=422)
    assert "already exists" in page.text("[data-testid=error-username]")
    session.rollback()
    assert session.query(User).count() == 1


def test_reset_password_shows_a_new_one_once_and_ends_sessions(app, supervisor):
    make_user("max", PASSWORD, "manager")
    max_client = sign_in(app.test_client(), "max")
    max_id = get(supervisor, "/users").one("[data-username=max]")
    user_id = max_id.select_one("form[action$='/password']")["action"].split("/")[2]
    page = post(supervisor, f"/users/{user_id}/password", status=200)
    new_password = page.text("[data-testid=new-password-value]")
    assert len(new_password) >= 8
    assert max_client.get("/contacts").status_code == 302  # signed out
    signed_in = app.test_client().post("/login", data={"username": "max", "password": new_password})
    assert signed_in.status_code == 302


def test_deactivated_user_cannot_sign_in_and_their_sessions_end(app, session, supervisor):
    user = make_user("max", PASSWORD, "manager")
    max_client = sign_in(app.test_client(), "max")
    post(supervisor, f"/users/{user.id}/deactivate", status=302)
    assert max_client.get("/contacts").status_code == 302
    assert app.test_client().post("/login", data={"username": "max", "password": PASSWORD}).status_code == 401
    assert get(supervisor, "/users").select("[data-testid=user-deactivated]")
    post(supervisor, f"/users/{user.id}/reactivate", status=302)
    assert app.test_client().post("/login", data={"username": "max", "password": PASSWORD}).status_code == 302


def test_role_change_ends_the_users_sessions_and_applies(app, session, supervisor):
    anna = make_operator("Anna")
    user = make_user("max", PASSWORD, "manager")
    max_client = sign_in(app.test_client(), "max")
    page = post(supervisor, f"/users/{user.id}/role", {"role": "operator"}, status=422)
    assert page.text("[data-testid=role-error]") == "An operator user needs the operator they are."
    post(supervisor, f"/users/{user.id}/role", {"role": "operator", "operator_id": str(anna.id)}, status=302)
    assert max_client.get("/contacts").status_code == 302
    max_client = sign_in(app.test_client(), "max")
    assert max_client.get("/contacts").status_code == 403
    assert max_client.get("/my/contacts").status_code == 200


def test_a_supervisor_cannot_lock_themselves_out(app, session, supervisor, supervisor_user):
    page = post(supervisor, f"/users/{supervisor_user.id}/deactivate", status=422)
    assert page.flashes == ["You cannot deactivate yourself."]
    assert supervisor.get("/users").status_code == 200

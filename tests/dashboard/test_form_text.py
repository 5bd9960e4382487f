"""One text check for every dashboard form field: NUL (which PostgreSQL cannot store) is refused
inline, whatever the form, never stored and never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.builders import make_source
from tests.dashboard.conftest import PASSWORD, post, sign_in
from webapp.extensions import db
from webapp.models import ApiToken, Operator, Source
from webapp.users import verify_login

NUL_MESSAGE = "Must not contain NUL characters."


def rows() -> dict:
    db.session.rollback()  # see what the requests committed
    return {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (ApiToken, Operator, Source)
    }


FORMS = {
    "operator name": ("/operators", {"name": "An\x00na", "max_active_contacts": "3"}, "name"),
    "source name": ("/sources", {"name": "Tele\x00gram"}, "name"),
    "source description": ("/sources", {"name": "Telegram", "description": "bot\x00"}, "description"),
    "token name": ("/sources/{source}/tokens", {"name": "tg\x00prod"}, "token_name"),
    "current password": ("/account/password", {"current_password": PASSWORD + "\x00",
                         "new_password": "battery staple horse", "confirm_password": "battery staple horse"},
                         "current_password"),
    "new password": ("/account/password", {"current_password": PASSWORD, "new_password": "battery\x00staple",
                     "confirm_password": "battery\x00staple"}, "new_password"),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize(("url", "form", "field"), FORMS.values(), ids=FORMS.keys())
def test_nul_in_any_form_field_is_refused_inline(app, supervisor, url, form, field, htmx):
    source = make_source("Existing")
    before = rows()
    page = post(supervisor, url.format(source=source.id), form, htmx=htmx, status=422)
    assert page.text(f"[data-testid=error-{field}]") == NUL_MESSAGE
    assert rows() == before
    assert verify_login(db.session, "sue", PASSWORD) is not None  # the password is unchanged


@pytest.mark.parametrize(
    "form",
    [{"username": "sue\x00", "password": PASSWORD}, {"username": "sue", "password": PASSWORD + "\x00"}],
    ids=["username", "password"],
)
def test_nul_at_sign_in_is_a_wrong_login_not_an_error(client, supervisor_user, form):
    page = post(client, "/login", form, status=401)
    assert page.text("[data-testid=login-error]") == "Unknown username or wrong password."
    assert sign_in(client, "sue")  # and the account is fine

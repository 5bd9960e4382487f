"""Sign in, sign out, login required, session rotation, rate limit."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import PASSWORD, get, post, sign_in

PAGES = ["/", "/stats", "/operators", "/sources", "/contacts", "/contacts/export.csv"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_redirects_a_stranger_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_htmx_request_without_login_gets_hx_redirect_not_a_login_form(client):
    response = client.get("/contacts", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")
    assert response.get_data() == b""


def test_post_without_login_changes_nothing(client, supervisor_user):
    response = client.post("/operators", data={"name": "Eve", "max_active_contacts": "3"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_form_and_wrong_password_shows_inline_error(client, supervisor_user):
    page = get(client, "/login")
    assert page.one("[data-testid=login-form]")
    assert page.one("meta[name=csrf-token]")["content"]
    page = post(client, "/login", {"username": "sue", "password": "wrong"}, status=401)
    assert page.text("[data-testid=login-error]") == "Unknown username or wrong password."
    assert page.one("#username")["value"] == "sue"
    page = post(client, "/login", {"username": "nobody", "password": "wrong"}, status=401)
    assert page.text("[data-testid=login-error]") == "Unknown username or wrong password."


def test_login_lands_on_next_page_with_a_flash(client, supervisor_user):
    response = client.get("/operators")
    target = response.headers["Location"]
    response = client.post(target, data={"username": "sue", "password": PASSWORD})
    assert response.headers["Location"] == "/operators"
    page = get(client, "/operators")
    assert page.flashes == ["Signed in as sue (supervisor)."]
    assert page.text("[data-testid=current-user]").startswith("sue supervisor")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, supervisor_user, target):
    response = client.post("/login", query_string={"next": target},
                           data={"username": "sue", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_login_starts_a_new_session(client, supervisor_user):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, "sue")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_invalidates_every_copy_of_the_session_cookie(app, client, supervisor_user):
    sign_in(client, "sue")
    stolen = client.get_cookie("session").value
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert get(client, "/login").flashes == ["Signed out."]
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_signed_in_user_visiting_login_goes_to_the_overview(supervisor):
    response = supervisor.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


class TestRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return app_config | {"LOGIN_RATE_LIMIT": "3 per minute"}

    def test_too_many_attempts_get_a_readable_429_with_retry_after(self, client, supervisor_user):
        for _ in range(3):
            post(client, "/login", {"username": "sue", "password": "wrong"}, status=401)
        page = post(client, "/login", {"username": "sue", "password": PASSWORD}, status=429)
        assert int(page.response.headers["Retry-After"]) > 0
        assert "Too many sign-in attempts" in page.text("[data-testid=error-message]")
        assert page.response.headers["Content-Security-Policy"]


def test_session_cookie_is_httponly_and_samesite_lax(client, supervisor_user):
    response = client.post("/login", data={"username": "sue", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


class TestSecureCookie:
    @pytest.fixture
    def app_config(self, app_config):
        return app_config | {"SESSION_COOKIE_SECURE": True}

    def test_session_cookie_is_secure_when_configured(self, client, supervisor_user):
        response = client.post("/login", data={"username": "sue", "password": PASSWORD})
        assert "Secure" in response.headers["Set-Cookie"]

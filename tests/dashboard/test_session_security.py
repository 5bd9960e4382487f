"""Sessions: a new cookie at sign-in, old cookies dead after sign-out, strong hashes, a login rate limit.

CSRF stays on in this module: every form is posted with the token the page gave.
"""

from __future__ import annotations

import re

import pytest

from tests.builders import make_user

PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app_config(app_config):
    return app_config | {"WTF_CSRF_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}


@pytest.fixture
def sue(app):
    return make_user("sue", PASSWORD, "supervisor")


class Browser:
    """One browser's cookie jar (conftest's IsolatedClient: each request in its own app context)."""

    def __init__(self, app, cookie: str | None = None):
        self.app = app
        self.client = app.test_client()
        if cookie is not None:
            self.client.set_cookie("session", cookie)

    def request(self, method, url, **kwargs):
        return self.client.open(url, method=method, **kwargs)

    def csrf_token(self, url="/login") -> str:
        return CSRF_FIELD.search(self.request("GET", url).get_data(as_text=True)).group(1)

    def sign_in(self, username="sue", password=PASSWORD):
        data = {"username": username, "password": password, "csrf_token": self.csrf_token()}
        return self.request("POST", "/login", data=data)

    def sign_out(self):
        return self.request("POST", "/logout", data={"csrf_token": self.csrf_token("/")})

    @property
    def cookie(self) -> str | None:
        cookie = self.client.get_cookie("session")
        return cookie.value if cookie else None


def is_signed_in(app, cookie: str) -> bool:
    response = Browser(app, cookie).request("GET", "/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    return False


def test_sign_in_issues_a_new_session_cookie(app, sue):
    browser = Browser(app)
    browser.csrf_token()
    before = browser.cookie
    assert before is not None
    response = browser.sign_in()
    assert response.status_code == 302
    after = browser.cookie
    assert after != before
    assert is_signed_in(app, after)
    assert not is_signed_in(app, before)  # a cookie planted before sign-in never becomes signed in


def test_session_cookie_flags(app, sue):
    response = Browser(app).sign_in()
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie


def test_sign_out_kills_the_old_cookie(app, sue):
    browser = Browser(app)
    browser.sign_in()
    signed_in_cookie = browser.cookie
    assert is_signed_in(app, signed_in_cookie)
    response = browser.sign_out()
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert not is_signed_in(app, signed_in_cookie)  # a copy of the cookie, replayed after sign-out
    replayed = Browser(app, signed_in_cookie).request("GET", "/contacts", headers={"HX-Request": "true"})
    assert replayed.status_code == 401 and replayed.headers["HX-Redirect"].startswith("/login")


def test_sign_out_ends_every_session_of_the_user(app, sue):
    laptop, phone = Browser(app), Browser(app)
    laptop.sign_in()
    phone.sign_in()
    laptop.sign_out()
    assert not is_signed_in(app, phone.cookie)


def test_sign_out_needs_the_csrf_token(app, sue):
    browser = Browser(app)
    browser.sign_in()
    response = browser.request("POST", "/logout", data={})
    assert response.status_code != 200
    assert is_signed_in(app, browser.cookie)


def test_password_hash_is_pbkdf2_sha256_with_enough_iterations(app, sue):
    method, salt, digest = sue.password_hash.split("$")
    name, algorithm, iterations = method.split(":")
    assert (name, algorithm) == ("pbkdf2", "sha256")
    assert int(iterations) >= 600_000
    assert len(salt) >= 16 and PASSWORD not in sue.password_hash


def test_unknown_user_and_wrong_password_look_the_same(app, sue):
    unknown = Browser(app).sign_in("nobody", PASSWORD)
    wrong = Browser(app).sign_in("sue", "not the password")
    assert unknown.status_code == wrong.status_code == 401
    message = re.compile(r'data-testid="login-error"[^>]*>([^<]+)<')
    assert message.search(unknown.get_data(as_text=True)).group(1) == message.search(
        wrong.get_data(as_text=True)
    ).group(1)


def test_login_rate_limit_answers_429_with_retry_after(app, sue):
    browser = Browser(app)
    for _ in range(3):
        assert browser.sign_in("sue", "wrong password").status_code == 401
    limited = browser.sign_in("sue", PASSWORD)  # even the right password waits
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.mimetype == "text/html"
    assert browser.request("GET", "/login").status_code == 200  # the form itself is not limited
    assert not is_signed_in(app, browser.cookie)

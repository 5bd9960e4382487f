"""The optional per-token API rate limit (API_RATE_LIMIT): off by default, 429 when set."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.builders import make_token
from tests.conftest import ApiClient
from webapp.extensions import limiter


@pytest.fixture(autouse=True)
def fresh_counts():
    # memory:// counts live in the process-wide limiter: start each test from zero.
    limiter.reset()
    yield
    limiter.reset()


def test_no_limit_by_default(api):
    for _ in range(30):
        assert api.get("/api/v1/operators/").status_code == 200


class TestWithALimit:
    @pytest.fixture
    def app_config(self, app_config):
        return app_config | {"API_RATE_LIMIT": "3 per minute"}

    def test_the_fourth_call_in_a_minute_is_429_with_retry_after(self, api, unchanged):
        for _ in range(3):
            assert api.get("/api/v1/operators/").status_code == 200
        with unchanged():
            response = api.post("/api/v1/operators/", json={"name": "Anna", "max_active_contacts": 1})
        assert_problem(response, 429)
        assert 0 < int(response.headers["Retry-After"]) <= 60

    def test_the_limit_is_per_token(self, client, api):
        for _ in range(3):
            api.get("/api/v1/operators/")
        assert api.get("/api/v1/operators/").status_code == 429
        other = ApiClient(client, make_token("second", is_admin=True)[1])
        assert other.get("/api/v1/operators/").status_code == 200

"""Malformed requests: every error is a problem document, and nothing changes."""

from __future__ import annotations

import io
import json

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Response

from tests.api.conftest import assert_problem

WRITES = [
    ("post", "/api/v1/operators/"),
    ("post", "/api/v1/sources"),
    ("post", "/api/v1/contacts/"),
    ("put", "/api/v1/contacts/1/status"),
    ("put", "/api/v1/contacts/1/operator"),
    ("put", "/api/v1/operators/1/status"),
    ("patch", "/api/v1/operators/1"),
    ("put", "/api/v1/sources/1/weights"),
    ("post", "/api/v1/contacts/redistribute"),
]


def send(client, admin_token, method, path, data, content_type="application/json", headers=None):
    return client.open(
        path,
        method=method.upper(),
        data=data,
        content_type=content_type,
        headers={"Authorization": f"Bearer {admin_token}"} | (headers or {}),
    )


@pytest.fixture
def rows(api, team):
    contact = api.post("/api/v1/contacts/", json={"external_id": "tg:1", "source_id": team["source"]})
    assert contact.get_json()["id"] == 1
    return team


@pytest.mark.parametrize("method, path", WRITES)
@pytest.mark.parametrize(
    "data",
    [b"{not json", b"", b'{"name": "x",}', b"\xff\xfe\x00", b"[" * 30_000 + b"]" * 30_000, b"NaN"],
    ids=["broken", "empty", "trailing-comma", "not-utf8", "deeply-nested", "nan"],
)
def test_invalid_json_is_400(client, admin_token, rows, unchanged, method, path, data):
    with unchanged():
        assert_problem(send(client, admin_token, method, path, data), 400)


@pytest.mark.parametrize("method, path", WRITES)
@pytest.mark.parametrize("data", [b"[]", b'[{"name": "x"}]', b'"text"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_400(client, admin_token, rows, unchanged, method, path, data):
    with unchanged():
        assert_problem(send(client, admin_token, method, path, data), 400, detail="object")


@pytest.mark.parametrize("method, path", WRITES)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_body_that_is_not_json_is_415(client, admin_token, rows, unchanged, method, path, content_type):
    with unchanged():
        assert_problem(send(client, admin_token, method, path, b'{"name": "x"}', content_type), 415)


def test_json_with_charset_is_accepted(client, admin_token):
    body = json.dumps({"name": "Widget"}).encode()
    response = send(client, admin_token, "post", "/api/v1/sources/", body, "application/json; charset=utf-8")
    assert response.status_code == 201


@pytest.mark.parametrize("method, path", WRITES)
def test_body_over_64_kib_is_413(client, admin_token, rows, unchanged, method, path):
    body = json.dumps({"external_id": "x", "source_id": 1, "message": "m" * (64 * 1024)}).encode()
    with unchanged():
        assert_problem(send(client, admin_token, method, path, body), 413)


def test_body_just_under_the_limit_is_read(client, admin_token, rows):
    padding = 64 * 1024 - 200
    body = json.dumps({"external_id": "x", "source_id": rows["source"], "unused": "p" * padding}).encode()
    assert len(body) < 64 * 1024
    assert send(client, admin_token, "post", "/api/v1/contacts/", body).status_code == 201


@pytest.mark.parametrize(
    "method, path",
    [
        ("delete", "/api/v1/operators/"),
        ("delete", "/api/v1/operators/1"),
        ("post", "/api/v1/operators/1"),
        ("put", "/api/v1/contacts"),
        ("get", "/api/v1/contacts/redistribute"),
        ("post", "/api/v1/openapi.json"),
    ],
)
def test_wrong_method_is_405_problem(client, admin_token, rows, unchanged, method, path):
    with unchanged():
        response = send(client, admin_token, method, path, b"{}")
    assert_problem(response, 405)
    assert "Allow" in response.headers


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v1/operators/abc", "/api/v1/operators/-1", "/api/v1/contacts/1/x"]
)
def test_unknown_path_is_404_problem(client, admin_token, path):
    assert_problem(send(client, admin_token, "get", path, None), 404)


def test_unknown_fields_are_ignored(api):
    response = api.post("/api/v1/sources/", json={"name": "Widget", "colour": "blue"})
    assert response.status_code == 201
    assert "colour" not in response.get_json()


def test_several_bad_fields_are_all_named(api, unchanged):
    with unchanged():
        body = assert_problem(
            api.post("/api/v1/operators/", json={"name": "", "max_active_contacts": "many"}), 422
        )
    assert {error["field"] for error in body["errors"]} == {"name", "max_active_contacts"}
    assert all(error["message"] for error in body["errors"])


def chunked(app, admin_token, body: bytes):
    """A POST without Content-Length, as gunicorn hands on a chunked request.

    Straight to the WSGI callable: the test client would add a Content-Length.
    """
    builder = EnvironBuilder(
        path="/api/v1/contacts/",
        method="POST",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    environ = builder.get_environ()
    builder.close()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    return Response(b"".join(app_iter), status=status, headers=headers)


def test_chunked_body_over_64_kib_is_413_not_a_truncated_parse(app, admin_token, rows, unchanged):
    body = json.dumps({"external_id": "x", "source_id": rows["source"], "message": "m" * 70_000}).encode()
    with unchanged():
        response = chunked(app, admin_token, body)
    assert_problem(response, 413)


def test_small_chunked_body_is_read(app, admin_token, rows):
    body = json.dumps({"external_id": "x", "source_id": rows["source"]}).encode()
    assert chunked(app, admin_token, body).status_code == 201

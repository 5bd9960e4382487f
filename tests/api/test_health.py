"""/healthz and /docs: no token, no 500, no CDN."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from webapp import create_app


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_is_503_when_the_sqlite_file_cannot_be_opened(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-directory' / 'leadcrm.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"


def test_healthz_is_503_when_postgresql_does_not_answer():
    from tests.postgres import free_port

    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/leadcrm?connect_timeout=2"
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_api_without_a_database_is_503_problem_not_500(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing' / 'leadcrm.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x"})
    response = app.test_client().get("/api/v1/operators/", headers={"Authorization": "Bearer lcrm_x"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def test_docs_page_uses_only_local_files(client):
    response = client.get("/docs")
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    urls = [tag["src"] for tag in soup.select("script[src]")] + [
        tag["href"] for tag in soup.select("link[href]")
    ]
    assert urls, "the page loads Swagger UI from somewhere"
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), url
        if url.startswith("data:"):
            continue  # inline, e.g. the empty favicon
        static = client.get(url)
        static.close()
        assert static.status_code == 200, url
    assert soup.select_one("[data-spec-url]")["data-spec-url"] == "/api/v1/openapi.json"
    assert "http://" not in response.get_data(as_text=True)
    assert "https://" not in response.get_data(as_text=True)

"""The Flask CLI through app.test_cli_runner(): tokens, users, demo data, schema."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, inspect, select

from tests.builders import committed, make_operator, make_source, make_user
from tests.conftest import ApiClient
from webapp import create_app, users
from webapp.extensions import db
from webapp.models import ApiToken, Contact, Operator, Source, User


@pytest.fixture
def app_config(app_config, tmp_path):
    # Keep the demo credentials of a test run out of the project's instance/ folder.
    return app_config | {"DEMO_CREDENTIALS_FILE": str(tmp_path / "demo-credentials.txt")}


def counts() -> dict:
    db.session.rollback()
    return {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (ApiToken, Contact, Operator, Source, User)
    }


def last_line(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


def test_create_admin_token_prints_it_alone_on_the_last_line(runner, client):
    result = runner.invoke(args=["create-token", "ops laptop", "--admin"])
    assert result.exit_code == 0, result.output
    token = last_line(result.output)
    assert token.startswith("lcrm_") and " " not in token and len(token) >= 40
    assert ApiClient(client, token).get("/api/v1/operators/").status_code == 200


def test_create_source_token_posts_for_its_source(runner, client):
    source = make_source("Telegram")
    result = runner.invoke(args=["create-token", "tg bot", "--source", str(source.id)])
    assert result.exit_code == 0, result.output
    bot = ApiClient(client, last_line(result.output))
    response = bot.post("/api/v1/contacts/", json={"external_id": "tg:1"})
    assert response.status_code == 201
    assert response.get_json()["source_id"] == source.id
    assert bot.get("/api/v1/operators/").status_code == 403


@pytest.mark.parametrize(
    "args, message",
    [
        (["create-token", "x"], "exactly one"),
        (["create-token", "x", "--admin", "--source", "1"], "exactly one"),
        (["create-token", "x", "--source", "999"], "does not exist"),
        (["create-token", "x", "--source", "abc"], "not a valid integer"),
        (["create-token", "--admin"], "Missing argument"),
    ],
)
def test_bad_token_requests_fail_cleanly(runner, args, message):
    make_source("Telegram")
    before = counts()
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, (AttributeError, TypeError, ValueError, LookupError))
    assert counts() == before


def test_create_user_with_password_from_environment(runner, monkeypatch):
    from webapp.users import verify_login

    monkeypatch.setenv("LEADCRM_PASSWORD", "correct horse battery")
    result = runner.invoke(args=["create-user", "olga", "--role", "supervisor"])
    assert result.exit_code == 0, result.output
    user = verify_login(db.session, "olga", "correct horse battery")
    assert user is not None and user.role == "supervisor"


def test_create_user_with_password_from_prompt(runner, monkeypatch):
    from webapp.users import verify_login

    monkeypatch.delenv("LEADCRM_PASSWORD", raising=False)
    result = runner.invoke(
        args=["create-user", "max", "--role", "manager"], input="long enough pw\nlong enough pw\n"
    )
    assert result.exit_code == 0, result.output
    assert "long enough pw" not in result.output
    assert verify_login(db.session, "max", "long enough pw").role == "manager"


@pytest.mark.parametrize(
    "args, password",
    [
        (["create-user", "olga", "--role", "admin"], "correct horse battery"),
        (["create-user", "olga", "--role", "manager"], "short"),
        (["create-user", "olga"], "correct horse battery"),
    ],
)
def test_bad_user_requests_fail_cleanly(runner, monkeypatch, args, password):
    monkeypatch.setenv("LEADCRM_PASSWORD", password)
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert counts()["User"] == 0


def test_duplicate_user_fails_cleanly(runner, monkeypatch):
    monkeypatch.setenv("LEADCRM_PASSWORD", "correct horse battery")
    assert runner.invoke(args=["create-user", "olga", "--role", "manager"]).exit_code == 0
    result = runner.invoke(args=["create-user", "olga", "--role", "supervisor"])
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert counts()["User"] == 1


def test_seed_demo_then_if_empty_adds_nothing(runner, client, app_config):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    seeded = counts()
    assert seeded["Source"] == 3 and seeded["Operator"] == 5 and seeded["Contact"] > 0
    with open(app_config["DEMO_CREDENTIALS_FILE"]) as handle:
        credentials = handle.read()
    bot_token = credentials.split("Telegram bot): ")[1].split()[0]
    assert (
        ApiClient(client, bot_token).post("/api/v1/contacts/", json={"external_id": "x"}).status_code == 201
    )
    seeded["Contact"] += 1
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "already has data" in again.output
    assert counts() == seeded


def test_set_password_changes_it_and_ends_every_session_of_the_user(runner, monkeypatch):
    olga = make_user("olga", "correct horse battery", "supervisor")
    laptop = committed(users.start_session, olga).session_token
    phone = committed(users.start_session, olga).session_token
    colleague = committed(users.start_session, make_user("max", "correct horse battery", "manager"))
    monkeypatch.delenv("LEADCRM_PASSWORD", raising=False)
    typed = "battery staple horse\n" * 2  # the password and its confirmation
    result = runner.invoke(args=["set-password", "olga"], input=typed)
    assert result.exit_code == 0, result.output
    assert "battery staple horse" not in result.output
    db.session.rollback()
    assert users.verify_login(db.session, "olga", "correct horse battery") is None
    assert users.verify_login(db.session, "olga", "battery staple horse").username == "olga"
    assert users.load_session_user(db.session, laptop) is None
    assert users.load_session_user(db.session, phone) is None
    assert users.load_session_user(db.session, colleague.session_token).username == "max"


@pytest.mark.parametrize(
    "username, password, message",
    [("nobody", "battery staple horse", "There is no user 'nobody'."),
     ("olga", "short", "A password is at least 8 characters.")],
)
def test_bad_set_password_requests_fail_cleanly(runner, monkeypatch, username, password, message):
    olga = make_user("olga", "correct horse battery", "supervisor")
    session_token = committed(users.start_session, olga).session_token
    monkeypatch.setenv("LEADCRM_PASSWORD", password)
    result = runner.invoke(args=["set-password", username])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    db.session.rollback()
    assert users.verify_login(db.session, "olga", "correct horse battery") is not None
    assert users.load_session_user(db.session, session_token) is not None


def test_set_password_of_an_unknown_user_asks_for_no_password(runner, monkeypatch):
    monkeypatch.delenv("LEADCRM_PASSWORD", raising=False)
    result = runner.invoke(args=["set-password", "nobody"], input="")
    assert result.exit_code != 0
    assert "Password" not in result.output and "There is no user 'nobody'." in result.output


def test_seed_demo_gives_supervisor_and_manager_a_password_each(runner, app_config):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with open(app_config["DEMO_CREDENTIALS_FILE"]) as handle:
        credentials = handle.read()
    supervisor = credentials.split("(supervisor): supervisor / ")[1].split()[0]
    manager = credentials.split("(manager): manager / ")[1].split()[0]
    assert supervisor != manager
    db.session.rollback()
    assert users.verify_login(db.session, "supervisor", supervisor).role == "supervisor"
    assert users.verify_login(db.session, "manager", manager).role == "manager"
    assert users.verify_login(db.session, "supervisor", manager) is None
    assert users.verify_login(db.session, "manager", supervisor) is None


def test_seed_demo_twice_without_if_empty_fails_cleanly(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    seeded = counts()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert counts() == seeded


def test_db_upgrade_creates_the_schema_in_an_empty_file(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    path.touch()  # an empty file, as a fresh volume or a `touch` would leave it
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    engine = create_engine(f"sqlite:///{path}")
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"operators", "sources", "operator_source_weights", "leads", "contacts", "api_tokens"} <= tables
    assert {"idempotency_keys", "users", "alembic_version"} <= tables


def test_create_operator_user_links_the_operator(runner, monkeypatch):
    from webapp.users import verify_login

    anna = make_operator("Anna")
    monkeypatch.setenv("LEADCRM_PASSWORD", "correct horse battery")
    result = runner.invoke(args=["create-user", "ola", "--role", "operator", "--operator", str(anna.id)])
    assert result.exit_code == 0, result.output
    user = verify_login(db.session, "ola", "correct horse battery")
    assert (user.role, user.operator_id) == ("operator", anna.id)


@pytest.mark.parametrize(
    "args, message",
    [
        (["create-user", "ola", "--role", "operator"], "--operator"),
        (["create-user", "ola", "--role", "operator", "--operator", "999"], "Operator 999 does not exist"),
        (["create-user", "ola", "--role", "manager", "--operator", "1"], "--operator"),
        (["create-user", "ola", "--role", "operator", "--operator", "x"], "not a valid integer"),
    ],
)
def test_bad_operator_user_requests_fail_cleanly(runner, monkeypatch, args, message):
    make_operator("Anna")
    monkeypatch.setenv("LEADCRM_PASSWORD", "correct horse battery")
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert counts()["User"] == 0

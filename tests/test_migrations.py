"""The schema changes only through migrations, and an older database upgrades."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from webapp import contacts, create_app, insight, leads, worker
from webapp.database import declared_by_the_models
from webapp.extensions import db


def _app(tmp_path):
    return create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "TESTING": True})


def test_models_match_the_migrations(app):
    """What the models declare is exactly what the migrations built (no forgotten migration)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": declared_by_the_models})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_a_database_made_by_the_first_migration_upgrades_with_its_data(tmp_path):
    app = _app(tmp_path)
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO sources (name, created_at) VALUES ('Old bot', '2026-01-01 00:00:00')"
            ))
            connection.execute(text(
                "INSERT INTO leads (external_id, created_at) VALUES ('old-1', '2026-01-01 00:00:00')"
            ))
            connection.execute(text(
                "INSERT INTO contacts (lead_id, source_id, status, created_at) "
                "VALUES (1, 1, 'new', '2026-01-01 00:00:00')"
            ))
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM contacts")).scalar_one() == 1
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()
        db.engine.dispose()
    assert version == head


def test_0005_moves_sessions_to_their_own_table_and_signs_everybody_out(database_url):
    """From 0004 (one users.session_token) to user_sessions, on this run's backend: the users stay,
    the old tokens — perhaps in stale copies of cookies — are not carried over; and back again."""
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret"})
    with app.app_context():
        try:
            downgrade(revision="0004")
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO users (username, password_hash, role, created_at, session_token) "
                    "VALUES ('sue', 'pbkdf2:sha256:600000$salt$hash', 'supervisor', '2026-01-01 00:00:00', "
                    "'an-old-token')"
                ))
            upgrade()
            with db.engine.connect() as connection:
                assert connection.execute(text("SELECT username, role FROM users")).all() == [
                    ("sue", "supervisor")
                ]
                assert connection.execute(text("SELECT count(*) FROM user_sessions")).scalar_one() == 0
            columns = {column["name"] for column in inspect(db.engine).get_columns("users")}
            assert "session_token" not in columns
            downgrade(revision="0004")
            with db.engine.connect() as connection:
                assert connection.execute(text("SELECT username, session_token FROM users")).all() == [
                    ("sue", None)
                ]
        finally:
            upgrade()  # leave the run's database at head for the tests after this one
            db.engine.dispose()


def test_existing_leads_get_their_sole_source(tmp_path):
    """0006: a lead whose contacts all came through one source gets it; a lead of several
    sources, or of none, stays NULL (no source token reads or overwrites its customer data)."""
    app = _app(tmp_path)
    rows = [
        "INSERT INTO sources (id, name, created_at) "
        "VALUES (1, 'Telegram', '2026-01-01'), (2, 'Widget', '2026-01-01')",
        "INSERT INTO leads (id, external_id, created_at) VALUES (1, 'one', '2026-01-01'), "
        "(2, 'twice-one', '2026-01-01'), (3, 'two', '2026-01-01'), (4, 'none', '2026-01-01')",
        "INSERT INTO contacts (lead_id, source_id, status, created_at) VALUES (1, 2, 'new', '2026-01-01'), "
        "(2, 1, 'new', '2026-01-01'), (2, 1, 'new', '2026-01-01'), "
        "(3, 1, 'new', '2026-01-01'), (3, 2, 'new', '2026-01-01')",
    ]
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as connection:
            for statement in rows:
                connection.execute(text(statement))
        upgrade()
        with db.engine.connect() as connection:
            sole = dict(connection.execute(text("SELECT external_id, sole_source_id FROM leads")).all())
        db.engine.dispose()
    assert sole == {"one": 2, "twice-one": 1, "two": None, "none": None}


def test_0009_normalises_phones_and_emails_and_keeps_what_it_cannot_parse(tmp_path):
    """Existing phones go to E.164 (region PHONE_REGION, RU by default), emails to lowercase; a
    phone that is no phone number is kept as it is: the migration loses nothing."""
    app = _app(tmp_path)
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO leads (id, external_id, email, phone, created_at) VALUES "
                "(1, 'a', 'Ivan@Example.COM', '8 (912) 345-67-89', '2026-01-01'), "
                "(2, 'b', NULL, '+44 20 7946 0958', '2026-01-01'), "
                "(3, 'c', 'olga@example.com', 'call me maybe', '2026-01-01'), "
                "(4, 'd', NULL, '+7 900', '2026-01-01')"
            ))
        upgrade()
        with db.engine.connect() as connection:
            stored = connection.execute(text("SELECT external_id, email, phone FROM leads ORDER BY id")).all()
        downgrade(revision="0007")
        with db.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
        db.engine.dispose()
    assert stored == [
        ("a", "ivan@example.com", "+79123456789"),
        ("b", None, "+442079460958"),
        ("c", "olga@example.com", "call me maybe"),
        ("d", None, "+7 900"),
    ]
    assert not {"lead_aliases", "lead_merges"} & tables


def test_0011_keeps_names_that_clash_regardless_of_case_and_renames_the_later_ones(tmp_path):
    """Anna and ANNA from before 1.1 both survive: the older keeps its name, the later is renamed."""
    app = _app(tmp_path)
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            for name in ("Anna", "ANNA", "Боря", "БОРЯ", "Vera"):
                connection.execute(text(
                    "INSERT INTO operators (name, status, max_active_contacts, created_at) "
                    "VALUES (:name, 'active', 5, '2026-01-01 00:00:00')"
                ), {"name": name})
        upgrade()
        with db.engine.connect() as connection:
            names = connection.execute(text("SELECT name, name_key FROM operators ORDER BY id")).all()
        db.engine.dispose()
    assert names == [("Anna", "anna"), ("ANNA (#2)", "anna (#2)"), ("Боря", "боря"),
                     ("БОРЯ (#4)", "боря (#4)"), ("Vera", "vera")]


def test_0014_counts_the_open_contacts_an_operator_already_holds(tmp_path):
    app = _app(tmp_path)
    with app.app_context():
        upgrade(revision="0013_weight_plans")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO operators (id, name, status, max_active_contacts, created_at) VALUES "
                "(1, 'Anna', 'active', 10, '2026-01-01'), (2, 'Boris', 'active', 10, '2026-01-01')"
            ))
            connection.execute(text("INSERT INTO sources (id, name, created_at) VALUES (1, 'S', '2026')"))
            connection.execute(text("INSERT INTO leads (id, external_id, created_at) VALUES (1, 'a', '26')"))
            connection.execute(text(
                "INSERT INTO contacts (lead_id, source_id, operator_id, status, created_at) VALUES "
                "(1, 1, 1, 'new', '2026-01-01'), (1, 1, 1, 'in_progress', '2026-01-01'),"
                "(1, 1, 1, 'closed', '2026-01-01'), (1, 1, NULL, 'new', '2026-01-01')"
            ))
        upgrade()
        with db.engine.connect() as connection:
            counts = dict(connection.execute(text("SELECT name, open_contacts FROM operators")).all())
        db.engine.dispose()
    assert counts == {"Anna": 2, "Boris": 0}


def test_0018_puts_the_leads_already_there_in_the_search_index(tmp_path):
    app = _app(tmp_path)
    with app.app_context():
        upgrade(revision="0017_started_at_index")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO sources (id, name, created_at) VALUES (1, 'S', '2026-01')"))
            connection.execute(text(
                "INSERT INTO leads (id, external_id, name, phone, created_at) VALUES "
                "(1, 'tg:1', 'Анна Петрова', '+79123456789', '2026-01-01'), "
                "(2, 'tg:2', 'John Smith', NULL, '2026-01-01')"
            ))
            connection.execute(text(
                "INSERT INTO contacts (id, lead_id, source_id, status, created_at) VALUES "
                "(1, 1, 1, 'new', '2026-01-01'), (2, 2, 1, 'new', '2026-01-01')"
            ))
        upgrade()

        def found(words):
            search = contacts.ContactFilter(search=contacts.parse_search(words))
            return [contact.id for contact in db.session.scalars(contacts.filtered_contacts(search))]

        assert found("петров") == [1]
        assert found("3456789") == [1]
        assert found("SMITH") == [2]
        db.session.remove()
        db.engine.dispose()


def test_0020_finds_the_phones_and_emails_leads_already_share(tmp_path):
    app = _app(tmp_path)
    with app.app_context():
        upgrade(revision="0019_board_source_index")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO leads (id, external_id, phone, email, created_at) VALUES "
                "(1, 'a', '+79120000001', 'x@example.com', '2026-01-01'), "
                "(2, 'b', '+79120000001', NULL, '2026-01-01'), "
                "(3, 'c', '+79120000002', 'x@example.com', '2026-01-01'), "
                "(4, 'd', '+79120000001', 'y@example.com', '2026-01-01')"
            ))
        upgrade()
        groups = [(group.matched_on, group.value, [lead.id for lead in group.leads])
                  for group in leads.duplicate_groups(db.session)]
        db.session.remove()
        db.engine.dispose()
    assert groups == [("phone", "+79120000001", [1, 2, 4]), ("email", "x@example.com", [1, 3])]


def test_0021_starts_with_nothing_folded_and_the_worker_folds_the_history(tmp_path):
    app = _app(tmp_path)
    candidates = '[{"operator_id": 1, "weight": 1, "load": 0, "limit": 10, "eligible": true}]'
    with app.app_context():
        upgrade(revision="0020_shared_lead_values")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO operators (id, name, status, max_active_contacts, created_at) VALUES "
                "(1, 'Anna', 'active', 10, '2026-01-01')"
            ))
            connection.execute(text("INSERT INTO sources (id, name, created_at) VALUES (1, 'S', '2026')"))
            connection.execute(text("INSERT INTO leads (id, external_id, created_at) VALUES (1, 'a', '26')"))
            connection.execute(text(
                "INSERT INTO contacts (id, lead_id, source_id, operator_id, status, created_at) VALUES "
                "(1, 1, 1, 1, 'new', '2026-11-02 10:00:00')"
            ))
            connection.execute(text(
                "INSERT INTO assignments (contact_id, at, \"trigger\", rule, actor_kind, actor_name, "
                "operator_id, forced, candidates) VALUES "
                "(1, '2026-11-02 10:00:00', 'intake', 'weighted', 'system', 'system', 1, 0, :candidates)"
            ), {"candidates": candidates})
        upgrade()
        period = (datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))

        def picks():
            (stats,) = insight.stats_report(db.session, *period, [(1, "S")], {1: "Anna"})
            db.session.rollback()
            return stats.picks, [(share.assigned, share.expected) for share in stats.operators]

        assert db.session.execute(text("SELECT count(*) FROM pick_tallies")).scalar() == 0
        assert picks() == (1, [(1, 1.0)])
        assert worker.fold_finished_days(db.session) == 1
        folded = db.session.execute(text("SELECT day, assigned, trials FROM pick_tallies")).all()
        assert picks() == (1, [(1, 1.0)])
        db.session.remove()
        db.engine.dispose()
    assert [(str(day)[:10], assigned, trials) for day, assigned, trials in folded] == [("2026-11-02", 1, 1)]

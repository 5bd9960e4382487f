"""leads found by any part of their name, external id, email or phone through a trigram index (FTS5 on
SQLite, pg_trgm on PostgreSQL): the board's search reads the index, not every lead

Revision ID: 0018_lead_search
Revises: 0017_started_at_index
Create Date: 2026-12-03 16:00:00

"""
from alembic import op

revision = '0018_lead_search'
down_revision = '0017_started_at_index'
branch_labels = None
depends_on = None

# What the search matches words in; a line break between the fields, which a search (whitespace
# collapsed to single spaces) never holds, so no match spans two fields.
SQLITE_WORDS = "coalesce({row}.name, '') || char(10) || {row}.external_id || char(10) || coalesce({row}.email, '')"


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _upgrade_sqlite():
    # Contentless: the index alone, the text stays in leads; a row leaves it by its old values.
    op.execute("CREATE VIRTUAL TABLE lead_search USING fts5(words, phone, tokenize='trigram', content='')")
    new = f"VALUES (new.id, {SQLITE_WORDS.format(row='new')}, new.phone)"
    old = f"VALUES ('delete', old.id, {SQLITE_WORDS.format(row='old')}, old.phone)"
    op.execute(f"CREATE TRIGGER leads_search_insert AFTER INSERT ON leads BEGIN "
               f"INSERT INTO lead_search (rowid, words, phone) {new}; END")
    # Only when a searched field changed: a repeat contact rewrites a lead with the same values.
    op.execute(f"CREATE TRIGGER leads_search_update AFTER UPDATE OF name, external_id, email, phone ON leads "
               f"WHEN old.name IS NOT new.name OR old.external_id IS NOT new.external_id "
               f"OR old.email IS NOT new.email OR old.phone IS NOT new.phone BEGIN "
               f"INSERT INTO lead_search (lead_search, rowid, words, phone) {old}; "
               f"INSERT INTO lead_search (rowid, words, phone) {new}; END")
    op.execute(f"CREATE TRIGGER leads_search_delete AFTER DELETE ON leads BEGIN "
               f"INSERT INTO lead_search (lead_search, rowid, words, phone) {old}; END")
    op.execute(f"INSERT INTO lead_search (rowid, words, phone) "
               f"SELECT id, {SQLITE_WORDS.format(row='leads')}, phone FROM leads")


def _upgrade_postgresql():
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # An immutable function, so the index and the query name the same expression.
    op.execute("""
        CREATE FUNCTION lead_search_words(name text, external_id text, email text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT lower(coalesce(name, '') || chr(10) || external_id || chr(10) || coalesce(email, '')) $$
    """)
    op.execute("CREATE INDEX ix_leads_search_words ON leads "
               "USING gin (lead_search_words(name, external_id, email) gin_trgm_ops)")
    op.execute("CREATE INDEX ix_leads_search_phone ON leads USING gin (phone gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_leads_search_phone")
        op.execute("DROP INDEX ix_leads_search_words")
        op.execute("DROP FUNCTION lead_search_words(text, text, text)")
        return  # pg_trgm stays: other databases of the cluster may use it
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER leads_search_{trigger}")
    op.execute("DROP TABLE lead_search")

"""shared_lead_values: every phone and email held by more than one lead, kept by triggers on leads

The duplicates page and GET /api/v1/leads/duplicates read this table instead of grouping
every lead by phone and by email (1,000,000 contacts: a scan of both indexes, 250 ms).
Triggers keep it in the statement that writes a lead - an intake's upsert, a merge, a
manual UPDATE - whichever code or tool wrote it; `flask --app wsgi check` recomputes it.

Each change of a lead's phone or email refreshes the values it touched: the value's row
is written with its oldest lead when more than one lead holds it, and deleted otherwise.
On PostgreSQL two transactions writing the same value take turns (an advisory lock on the
value's bucket, held to commit) and the second one's probe, taken after the wait by a fresh
statement, sees the first's lead: no duplicate is missed by two intakes at once.

Revision ID: 0020_shared_lead_values
Revises: 0019_board_source_index
Create Date: 2026-12-04 19:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_shared_lead_values'
down_revision = '0019_board_source_index'
branch_labels = None
depends_on = None

FIELDS = ('phone', 'email')
# PostgreSQL: the first key of the two-key advisory locks on values; the second is one of
# VALUE_LOCK_BUCKETS buckets of the values' hashes, so that a transaction writing many leads
# (an import) holds at most that many locks. Each trigger takes its buckets in order: two
# intakes sharing two buckets cannot each hold one and wait for the other.
VALUE_LOCK_SPACE = 0x1EAD_0DD5
VALUE_LOCK_BUCKETS = 1024


# The oldest lead holding the value, when another lead holds it too: two index probes, however
# many leads share it (a bot that sends one placeholder email for everybody costs no more).
def _holders(field: str, value: str) -> str:
    return (
        f"SELECT '{field}', {value}, oldest.id FROM (SELECT min(id) AS id FROM leads WHERE {field} = {value}) "
        f"AS oldest WHERE EXISTS (SELECT 1 FROM leads WHERE {field} = {value} AND id <> oldest.id)"
    )


def _refresh(field: str, value: str) -> str:
    """SQL that makes the table's row for ``value`` of ``field`` match the leads (SQLite)."""
    return (
        f"DELETE FROM shared_lead_values WHERE field = '{field}' AND value = {value}; "
        f"INSERT INTO shared_lead_values (field, value, first_lead_id) {_holders(field, value)};"
    )


def _sqlite_triggers(field: str) -> dict[str, str]:
    return {
        f'leads_shared_{field}_insert': (
            f'AFTER INSERT ON leads WHEN NEW.{field} IS NOT NULL BEGIN {_refresh(field, f"NEW.{field}")} END'
        ),
        f'leads_shared_{field}_update': (
            f'AFTER UPDATE OF {field} ON leads WHEN NEW.{field} IS NOT OLD.{field} '
            f'BEGIN {_refresh(field, f"OLD.{field}")} {_refresh(field, f"NEW.{field}")} END'
        ),
        f'leads_shared_{field}_delete': (
            f'AFTER DELETE ON leads WHEN OLD.{field} IS NOT NULL BEGIN {_refresh(field, f"OLD.{field}")} END'
        ),
    }


SQLITE_TRIGGERS = {name: body for field in FIELDS for name, body in _sqlite_triggers(field).items()}


def _postgresql_changed(field: str) -> str:
    """old_<field> and new_<field>: the values this row's change may make or unmake shared."""
    changed = f"NEW.{field} IS DISTINCT FROM OLD.{field}"
    return f"""
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND {changed}) THEN old_{field} := OLD.{field}; END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND {changed}) THEN new_{field} := NEW.{field}; END IF;"""


def _postgresql_old(field: str) -> str:
    """An old value is deleted and written again if still shared."""
    return f"""
    IF old_{field} IS NOT NULL THEN
        DELETE FROM shared_lead_values WHERE field = '{field}' AND value = old_{field};
        INSERT INTO shared_lead_values (field, value, first_lead_id) {_holders(field, f'old_{field}')};
    END IF;"""


# The buckets are locked in one statement, sorted; the probes run in later statements, each
# with a snapshot taken after the wait. The new values (an intake's) are written by one upsert.
# Written out per field: no dynamic SQL to plan each time.
POSTGRESQL_FUNCTIONS = f"""
CREATE FUNCTION leads_shared_values() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_phone text; new_phone text; old_email text; new_email text;
BEGIN
    {_postgresql_changed('phone')}
    {_postgresql_changed('email')}
    PERFORM pg_advisory_xact_lock({VALUE_LOCK_SPACE}, bucket) FROM (
        SELECT DISTINCT hashtext(key) & {VALUE_LOCK_BUCKETS - 1} AS bucket
        FROM unnest(ARRAY['phone:' || old_phone, 'phone:' || new_phone,
                          'email:' || old_email, 'email:' || new_email]) AS key
        WHERE key IS NOT NULL ORDER BY 1
    ) AS buckets;
    {_postgresql_old('phone')}
    {_postgresql_old('email')}
    IF new_phone IS NOT NULL OR new_email IS NOT NULL THEN
        INSERT INTO shared_lead_values (field, value, first_lead_id)
        {_holders('phone', 'new_phone')} UNION ALL {_holders('email', 'new_email')}
        ON CONFLICT (field, value) DO UPDATE SET first_lead_id = excluded.first_lead_id;
    END IF;
    RETURN NULL;
END $$;
"""
# A lead with neither phone nor email (a chat bot's customer) calls nothing; the intake's
# upsert sets both on every repeat contact, and the WHEN skips the call when neither changed.
POSTGRESQL_TRIGGERS = {
    'leads_shared_values_insert': 'AFTER INSERT ON leads FOR EACH ROW '
                                  'WHEN (NEW.phone IS NOT NULL OR NEW.email IS NOT NULL)',
    'leads_shared_values_update': 'AFTER UPDATE OF phone, email ON leads FOR EACH ROW '
                                  'WHEN (NEW.phone IS DISTINCT FROM OLD.phone OR NEW.email IS DISTINCT FROM OLD.email)',
    'leads_shared_values_delete': 'AFTER DELETE ON leads FOR EACH ROW '
                                  'WHEN (OLD.phone IS NOT NULL OR OLD.email IS NOT NULL)',
}


def upgrade():
    # (phone, id) and (email, id): PostgreSQL finds a value's oldest lead in the index, as
    # SQLite does in any index (its rowid is the last column). Lookups by value use them alike.
    for field in FIELDS:
        op.drop_index(f'ix_leads_{field}', table_name='leads')
        op.create_index(f'ix_leads_{field}_id', 'leads', [field, 'id'], unique=False)
    op.create_table(
        'shared_lead_values',
        sa.Column('field', sa.String(length=5), nullable=False),
        sa.Column('value', sa.String(length=254), nullable=False),
        sa.Column('first_lead_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('field', 'value', name=op.f('pk_shared_lead_values')),
    )
    op.create_index('ix_shared_lead_values_field_first_lead_id', 'shared_lead_values',
                    ['field', 'first_lead_id'], unique=False)
    for field in FIELDS:
        op.execute(
            f"INSERT INTO shared_lead_values (field, value, first_lead_id) SELECT '{field}', {field}, min(id) "
            f"FROM leads WHERE {field} IS NOT NULL GROUP BY {field} HAVING count(*) > 1"
        )
    if op.get_bind().dialect.name == 'sqlite':
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f'CREATE TRIGGER {name} {body}')
    else:
        op.execute(POSTGRESQL_FUNCTIONS)
        for name, when in POSTGRESQL_TRIGGERS.items():
            op.execute(f'CREATE TRIGGER {name} {when} EXECUTE FUNCTION leads_shared_values()')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for name in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER {name}')
    else:
        for name in POSTGRESQL_TRIGGERS:
            op.execute(f'DROP TRIGGER {name} ON leads')
        op.execute('DROP FUNCTION leads_shared_values()')
    op.drop_index('ix_shared_lead_values_field_first_lead_id', table_name='shared_lead_values')
    op.drop_table('shared_lead_values')
    for field in FIELDS:
        op.drop_index(f'ix_leads_{field}_id', table_name='leads')
        op.create_index(f'ix_leads_{field}', 'leads', [field], unique=False)

"""contacts, operators, sources: change_seq, kept by triggers, so a board poll can tell in
one cheap statement whether anything it shows changed (webapp/queries/changes.py)

Revision ID: 0015_board_changes
Revises: 0014_open_contacts
Create Date: 2026-12-03 11:30:00

SQLite: a counter per table. Writers are serialised, so an AFTER trigger that sets the
changed row to max + 1 makes the table's max grow with every committed change.
PostgreSQL: the id of the transaction that last changed the row (a BEFORE trigger), which
together with the reader's snapshot tells exactly what committed since (no sequence: a
number taken by a transaction that commits after a higher one would be missed by max()).

Operators count as changed only when what the board shows of them changes (name, status,
limit, schedule, an absence), not when a counter of theirs moves. A later migration that
rebuilds one of these tables on SQLite (batch with recreate) must create the triggers again.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_board_changes'
down_revision = '0014_open_contacts'
branch_labels = None
depends_on = None

TABLES = ('contacts', 'operators', 'sources')
# The operator columns the board shows (its bulk menu: name, active, limit, on shift).
OPERATOR_COLUMNS = 'name, status, max_active_contacts, schedule'


def _sqlite_bump(table: str, row: str) -> str:
    return (f'UPDATE {table} SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM {table}) '
            f'WHERE id = {row};')


# recursive_triggers is off (SQLite's default), and the WHEN clause skips the update the
# insert trigger itself makes, so each change bumps the counter once.
SQLITE_TRIGGERS = {
    'contacts_change_seq_insert': f"AFTER INSERT ON contacts BEGIN {_sqlite_bump('contacts', 'NEW.id')} END",
    'contacts_change_seq_update': ('AFTER UPDATE ON contacts WHEN NEW.change_seq IS OLD.change_seq '
                                   f"BEGIN {_sqlite_bump('contacts', 'NEW.id')} END"),
    'operators_change_seq_insert': f"AFTER INSERT ON operators BEGIN {_sqlite_bump('operators', 'NEW.id')} END",
    'operators_change_seq_update': (f'AFTER UPDATE OF {OPERATOR_COLUMNS} ON operators '
                                    f"BEGIN {_sqlite_bump('operators', 'NEW.id')} END"),
    'operator_absences_change_seq_insert': ('AFTER INSERT ON operator_absences '
                                            f"BEGIN {_sqlite_bump('operators', 'NEW.operator_id')} END"),
    'operator_absences_change_seq_update': ('AFTER UPDATE ON operator_absences '
                                            f"BEGIN {_sqlite_bump('operators', 'NEW.operator_id')} "
                                            f"{_sqlite_bump('operators', 'OLD.operator_id')} END"),
    'operator_absences_change_seq_delete': ('AFTER DELETE ON operator_absences '
                                            f"BEGIN {_sqlite_bump('operators', 'OLD.operator_id')} END"),
    'sources_change_seq_insert': f"AFTER INSERT ON sources BEGIN {_sqlite_bump('sources', 'NEW.id')} END",
    'sources_change_seq_update': ('AFTER UPDATE ON sources WHEN NEW.change_seq IS OLD.change_seq '
                                  f"BEGIN {_sqlite_bump('sources', 'NEW.id')} END"),
}

# The transaction's id (xid8, 64 bits: it never wraps) as a bigint.
POSTGRESQL_FUNCTIONS = """
CREATE FUNCTION board_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END $$;
CREATE FUNCTION operator_absences_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE operators SET change_seq = pg_current_xact_id()::text::bigint
    WHERE id IN (NEW.operator_id, OLD.operator_id);
    RETURN NULL;
END $$;
"""
# name: (table, when, function)
POSTGRESQL_TRIGGERS = {
    'contacts_change_seq': ('contacts', 'BEFORE INSERT OR UPDATE', 'board_change_seq'),
    'operators_change_seq': ('operators', f'BEFORE INSERT OR UPDATE OF {OPERATOR_COLUMNS}', 'board_change_seq'),
    'sources_change_seq': ('sources', 'BEFORE INSERT OR UPDATE', 'board_change_seq'),
    'operator_absences_change_seq': ('operator_absences', 'AFTER INSERT OR UPDATE OR DELETE',
                                     'operator_absences_change_seq'),
}


def upgrade():
    for table in TABLES:
        # A plain ADD COLUMN with a constant default: SQLite adds it in place (no rebuild).
        op.add_column(table, sa.Column('change_seq', sa.BigInteger(), server_default='0', nullable=False))
        if op.get_bind().dialect.name == 'sqlite':
            # Existing rows: distinct, growing numbers (on PostgreSQL 0 is older than any snapshot).
            op.execute(f'UPDATE {table} SET change_seq = id')
        op.create_index(op.f(f'ix_{table}_change_seq'), table, ['change_seq'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f'CREATE TRIGGER {name} {body}')
    else:
        op.execute(POSTGRESQL_FUNCTIONS)
        for name, (table, when, function) in POSTGRESQL_TRIGGERS.items():
            op.execute(f'CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for name in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER {name}')
    else:
        for name, (table, _when, _function) in POSTGRESQL_TRIGGERS.items():
            op.execute(f'DROP TRIGGER {name} ON {table}')
        op.execute('DROP FUNCTION board_change_seq()')
        op.execute('DROP FUNCTION operator_absences_change_seq()')
    for table in TABLES:
        op.drop_index(op.f(f'ix_{table}_change_seq'), table_name=table)
        with op.batch_alter_table(table, schema=None, recreate='never') as batch_op:
            batch_op.drop_column('change_seq')

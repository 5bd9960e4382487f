"""operators and sources: names unique regardless of case; sources.active; api_tokens.prefix

Revision ID: 0011_unique_names
Revises: 0010_notes_and_operator_users
Create Date: 2026-12-03 06:00:00

A name_key column (the case-folded name) carries the unique constraint: SQLite's
lower() folds ASCII only, Python's casefold() folds every script, the same on both
backends. Names that already clash regardless of case are not merged or dropped: the
oldest row keeps its name, each later one is renamed "<name> (#<id>)", and every
rename is written to the migration's log so a supervisor can choose better names.
"""
import logging

import sqlalchemy as sa
from alembic import op


revision = '0011_unique_names'
down_revision = '0010_notes_and_operator_users'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')


def _fill_name_keys(table: str) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(f'SELECT id, name FROM {table} ORDER BY id')).all()
    names = {name for _id, name in rows}
    keys = set()
    for row_id, name in rows:
        if name.casefold() in keys:
            new_name = f'{name} (#{row_id})'
            while new_name in names or new_name.casefold() in keys:
                new_name += '*'
            log.warning('%s %s: %r clashes with an older name regardless of case; renamed %r',
                        table, row_id, name, new_name)
            names.add(new_name)
            name = new_name
            connection.execute(sa.text(f'UPDATE {table} SET name = :name WHERE id = :id'),
                               {'name': name, 'id': row_id})
        keys.add(name.casefold())
        connection.execute(sa.text(f'UPDATE {table} SET name_key = :key WHERE id = :id'),
                           {'key': name.casefold(), 'id': row_id})


def upgrade():
    for table in ('operators', 'sources'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_key', sa.String(length=200), nullable=True))
        _fill_name_keys(table)
        # A unique index, not a constraint: SQLite adds it without rebuilding the table (a
        # rebuild of a table that contacts reference fails its foreign keys).
        op.create_index(f'ix_{table}_name_key', table, ['name_key'], unique=True)
    # Plain ALTER TABLE ADD COLUMN (not batch): SQLite takes it in place with the default.
    op.add_column('sources', sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prefix', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('prefix')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('active')
    for table in ('sources', 'operators'):
        op.drop_index(f'ix_{table}_name_key', table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('name_key')

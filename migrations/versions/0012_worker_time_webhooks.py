"""sources.response_timeout_minutes: an automatically assigned contact still new after that
long goes back to the pool (the worker checks)

Revision ID: 0012_worker_time_webhooks
Revises: 0010_notes_and_operator_users
Create Date: 2026-12-03 08:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012_worker_time_webhooks'
down_revision = '0010_notes_and_operator_users'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: SQLite adds it in place (a batch copy of sources would trip over
    # the contacts that reference it).
    with op.batch_alter_table('sources', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('response_timeout_minutes', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('response_timeout_minutes')

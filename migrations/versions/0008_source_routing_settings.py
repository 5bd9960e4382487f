"""sources: routing settings (paused, auto_drain, sticky_days, intake_per_minute,
wait_target_minutes, the last intake refused by the limit); assignments: the sticky
preference the pick saw; indexes for the intake limit and the sticky statistics

Revision ID: 0008_source_routing_settings
Revises: 0007
Create Date: 2026-12-03 06:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0008_source_routing_settings'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs with constant defaults: SQLite adds them in place (a batch copy of
    # sources would trip over the contacts that reference it).
    with op.batch_alter_table('sources', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('paused', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('auto_drain', sa.Boolean(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('sticky_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('intake_per_minute', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('wait_target_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('intake_limited_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_operator_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_assignments_at', ['at'], unique=False)
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_source_id_created_at', ['source_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_source_id_created_at')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_at')
        batch_op.drop_column('preferred_operator_id')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('intake_limited_at')
        batch_op.drop_column('wait_target_minutes')
        batch_op.drop_column('intake_per_minute')
        batch_op.drop_column('sticky_days')
        batch_op.drop_column('auto_drain')
        batch_op.drop_column('paused')

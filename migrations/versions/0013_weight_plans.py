"""weight_plans: weight sets planned for a period of a source; contacts.started_at (first
time in progress, for the first-response time of the stats)

Revision ID: 0013_weight_plans
Revises: 0012_worker_time_webhooks
Create Date: 2026-12-03 08:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013_weight_plans'
down_revision = '0012_worker_time_webhooks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'weight_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('weights', sa.JSON(), nullable=False),
        sa.Column('start', sa.DateTime(), nullable=False),
        sa.Column('end', sa.DateTime(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('previous_weights', sa.JSON(), nullable=True),
        sa.Column('applied_at', sa.DateTime(), nullable=True),
        sa.Column('reverted_at', sa.DateTime(), nullable=True),
        sa.Column('actor_kind', sa.String(length=8), nullable=False),
        sa.Column('actor_name', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduled', 'active', 'done', 'cancelled', 'missed')", name=op.f('ck_weight_plans_status')
        ),
        sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_weight_plans_source_id_sources')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_weight_plans')),
    )
    op.create_index('ix_weight_plans_status_start', 'weight_plans', ['status', 'start'], unique=False)
    op.create_index(op.f('ix_weight_plans_source_id'), 'weight_plans', ['source_id'], unique=False)
    # A plain ADD COLUMN: SQLite adds it in place.
    with op.batch_alter_table('contacts', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('started_at')
    op.drop_index(op.f('ix_weight_plans_source_id'), table_name='weight_plans')
    op.drop_index('ix_weight_plans_status_start', table_name='weight_plans')
    op.drop_table('weight_plans')

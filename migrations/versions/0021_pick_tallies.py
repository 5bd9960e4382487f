"""pick_tallies: each finished day's weighted picks, summed per source and operator

The stats read a period's fairness from these sums for the days they cover, and from the
assignment records only for the rest (the start and end of the period, and the days not
folded yet), instead of parsing every record's candidate list (7 days at 1,000,000
contacts: 19,000 lists of 100 candidates). The worker folds each day once it has ended,
oldest first: every weighted record before the end of the last day in the table is summed.
An existing database starts with nothing folded and is folded by its worker, oldest day first.

Revision ID: 0021_pick_tallies
Revises: 0020_shared_lead_values
Create Date: 2026-12-04 23:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0021_pick_tallies'
down_revision = '0020_shared_lead_values'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pick_tallies',
        sa.Column('day', sa.DateTime(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('assigned', sa.Integer(), nullable=False),
        sa.Column('trials', sa.Integer(), nullable=False),
        sa.Column('expected', sa.Float(), nullable=False),
        sa.Column('variance', sa.Float(), nullable=False),
        sa.Column('few_chances', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_pick_tallies_source_id_sources')),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id'],
                                name=op.f('fk_pick_tallies_operator_id_operators')),
        sa.PrimaryKeyConstraint('day', 'source_id', 'operator_id', name=op.f('pk_pick_tallies')),
    )


def downgrade():
    op.drop_table('pick_tallies')

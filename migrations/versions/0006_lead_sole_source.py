"""leads.sole_source_id: the one source all of a lead's contacts came through, NULL when several

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# A lead whose contacts all came through one source gets that source; a lead of several
# sources (or of none) stays NULL: no source token reads or overwrites what it holds.
BACKFILL = """
UPDATE leads SET sole_source_id = (
    SELECT MIN(contacts.source_id) FROM contacts WHERE contacts.lead_id = leads.id
)
WHERE (SELECT COUNT(DISTINCT contacts.source_id) FROM contacts WHERE contacts.lead_id = leads.id) = 1
"""


def upgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sole_source_id', sa.Integer(), nullable=True))
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('sole_source_id')

"""contacts.started_at indexed: the stats' first-response times read the period's starts by it

Revision ID: 0017_started_at_index
Revises: 0016_page_indexes
Create Date: 2026-12-03 12:45:00

"""
from alembic import op

revision = '0017_started_at_index'
down_revision = '0016_page_indexes'
branch_labels = None
depends_on = None


def upgrade():
    # With ix_contacts_closed_at, "started or closed in the period" reads two index ranges
    # (SQLite's OR by union, PostgreSQL's bitmap OR) instead of every contact.
    op.create_index('ix_contacts_started_at', 'contacts', ['started_at'], unique=False)


def downgrade():
    op.drop_index('ix_contacts_started_at', table_name='contacts')

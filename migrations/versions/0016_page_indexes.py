"""contacts (source_id, status, created_at) and assignments (at) of sticky picks: indexes that keep
the dashboard's pages flat at any number of contacts

Revision ID: 0016_page_indexes
Revises: 0015_board_changes
Create Date: 2026-12-03 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016_page_indexes'
down_revision = '0015_board_changes'
branch_labels = None
depends_on = None


def upgrade():
    # A source's waiting (new, overdue) and open contacts without its closed history: the
    # overview's overdue counts, the source page's waiting, the board sorted by source.
    op.create_index(
        'ix_contacts_source_id_status_created_at', 'contacts', ['source_id', 'status', 'created_at'], unique=False
    )
    # The source page's "sticky held" figures read the last 7 days of the picks that had a preference.
    op.create_index(
        'ix_assignments_preferred_at', 'assignments', ['at'], unique=False,
        postgresql_where=sa.text('preferred_operator_id IS NOT NULL'),
        sqlite_where=sa.text('preferred_operator_id IS NOT NULL'),
    )


def downgrade():
    op.drop_index('ix_assignments_preferred_at', table_name='assignments')
    op.drop_index('ix_contacts_source_id_status_created_at', table_name='contacts')

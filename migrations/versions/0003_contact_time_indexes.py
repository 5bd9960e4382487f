"""contacts: indexes on created_at, assigned_at, closed_at for the overview and stats pages

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 19:40:00

"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

COLUMNS = ("created_at", "assigned_at", "closed_at")


def upgrade():
    for column in COLUMNS:
        op.create_index(f"ix_contacts_{column}", "contacts", [column], unique=False)


def downgrade():
    for column in COLUMNS:
        op.drop_index(f"ix_contacts_{column}", table_name="contacts")

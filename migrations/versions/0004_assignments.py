"""assignments: one record per change of a contact's operator, with the candidates and the draw

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 01:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("actor_kind", sa.String(length=8), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("from_operator_id", sa.Integer(), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("draw_point", sa.BigInteger(), nullable=True),
        sa.Column("draw_total", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_assignments_contact_id_contacts")),
        sa.ForeignKeyConstraint(
            ["from_operator_id"], ["operators.id"], name=op.f("fk_assignments_from_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], name=op.f("fk_assignments_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    op.create_index("ix_assignments_contact_id_id", "assignments", ["contact_id", "id"], unique=False)


def downgrade():
    op.drop_index("ix_assignments_contact_id_id", table_name="assignments")
    op.drop_table("assignments")

"""contact_notes; users.operator_id and users.deactivated_at; the operator role

Revision ID: 0010_notes_and_operator_users
Revises: 0007
Create Date: 2026-12-03 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010_notes_and_operator_users'
down_revision = '0009_normalised_customers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contact_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_contact_notes_author_id_users')),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_notes_contact_id_contacts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_notes')),
    )
    op.create_index('ix_contact_notes_contact_id_id', 'contact_notes', ['contact_id', 'id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_operator_id'), ['operator_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_operator_id_operators'), 'operators', ['operator_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', "role IN ('supervisor', 'manager', 'operator')")
        batch_op.create_check_constraint('operator_link', "(role = 'operator') = (operator_id IS NOT NULL)")


def downgrade():
    op.drop_index('ix_contact_notes_contact_id_id', table_name='contact_notes')
    op.drop_table('contact_notes')
    # The older schema has no operator users: they go, with their sessions.
    op.execute("DELETE FROM user_sessions WHERE user_id IN (SELECT id FROM users WHERE role = 'operator')")
    op.execute("DELETE FROM users WHERE role = 'operator'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_operator_link'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', "role IN ('supervisor', 'manager')")
        batch_op.drop_constraint(batch_op.f('fk_users_operator_id_operators'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_operator_id'))
        batch_op.drop_column('deactivated_at')
        batch_op.drop_column('operator_id')

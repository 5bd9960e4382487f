"""sources.response_timeout_minutes (an automatically assigned contact still new after that
long goes back to the pool); sources.webhook_url and webhook_secret; webhook_events, the outbox
of signed webhooks the worker delivers; operators.schedule and operator_absences (shifts)

Revision ID: 0012_worker_time_webhooks
Revises: 0011_unique_names
Create Date: 2026-12-03 08:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012_worker_time_webhooks'
down_revision = '0011_unique_names'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: SQLite adds it in place (a batch copy of sources would trip over
    # the contacts that reference it).
    with op.batch_alter_table('sources', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('response_timeout_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('webhook_url', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('webhook_secret', sa.String(length=100), nullable=True))
    op.create_table(
        'webhook_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_webhook_events_source_id_sources')),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_webhook_events_contact_id_contacts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
        sa.UniqueConstraint('event_id', name=op.f('uq_webhook_events_event_id')),
    )
    op.create_index('ix_webhook_events_next_attempt_at', 'webhook_events', ['next_attempt_at'], unique=False)
    op.create_index('ix_webhook_events_source_id_id', 'webhook_events', ['source_id', 'id'], unique=False)
    op.create_index('ix_webhook_events_contact_id_id', 'webhook_events', ['contact_id', 'id'], unique=False)
    with op.batch_alter_table('operators', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('schedule', sa.JSON(), nullable=True))
    op.create_table(
        'operator_absences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('start', sa.DateTime(), nullable=False),
        sa.Column('end', sa.DateTime(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_operator_absences_operator_id_operators')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_absences')),
    )
    op.create_index('ix_operator_absences_operator_id_end', 'operator_absences', ['operator_id', 'end'], unique=False)


def downgrade():
    op.drop_index('ix_operator_absences_operator_id_end', table_name='operator_absences')
    op.drop_table('operator_absences')
    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.drop_column('schedule')
    op.drop_index('ix_webhook_events_contact_id_id', table_name='webhook_events')
    op.drop_index('ix_webhook_events_source_id_id', table_name='webhook_events')
    op.drop_index('ix_webhook_events_next_attempt_at', table_name='webhook_events')
    op.drop_table('webhook_events')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('webhook_secret')
        batch_op.drop_column('webhook_url')
        batch_op.drop_column('response_timeout_minutes')

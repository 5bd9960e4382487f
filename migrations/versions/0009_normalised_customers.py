"""One customer, one lead: phones in E.164, emails lowercased; lead_aliases and lead_merges

Existing phones are parsed with the region of the setting PHONE_REGION (default RU) and
stored in E.164; a phone that cannot be parsed (or is not a possible number) is KEPT AS IT
IS, so no stored data is lost (the API refuses such phones from now on). Emails are
lowercased. Downgrading drops the two tables; the normalised values stay normalised.

Revision ID: 0009_normalised_customers
Revises: 0007
Create Date: 2026-12-03 06:00:00

"""
import os

import phonenumbers
import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = '0009_normalised_customers'
down_revision = '0008_source_routing_settings'
branch_labels = None
depends_on = None


def _region() -> str:
    try:
        return current_app.config.get("PHONE_REGION") or "RU"
    except RuntimeError:  # outside an app context
        return os.environ.get("PHONE_REGION", "RU")


def _e164(phone: str, region: str) -> str:
    """The phone in E.164, or as it is when it cannot be parsed."""
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return phone
    if not phonenumbers.is_possible_number(number):
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalise_leads() -> None:
    connection = op.get_bind()
    region = _region()
    rows = connection.execute(sa.text(
        "SELECT id, email, phone FROM leads WHERE email IS NOT NULL OR phone IS NOT NULL"
    )).all()
    update = sa.text("UPDATE leads SET email = :email, phone = :phone WHERE id = :id")
    for lead_id, email, phone in rows:
        new_email = email.lower() if email is not None else None
        new_phone = _e164(phone, region) if phone is not None else None
        if (new_email, new_phone) != (email, phone):
            connection.execute(update, {"id": lead_id, "email": new_email, "phone": new_phone})


def upgrade():
    op.create_table(
        'lead_aliases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_aliases_lead_id_leads')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_aliases')),
        sa.UniqueConstraint('external_id', name=op.f('uq_lead_aliases_external_id')),
    )
    with op.batch_alter_table('lead_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_aliases_lead_id'), ['lead_id'], unique=False)
    op.create_table(
        'lead_merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('merged_lead_id', sa.Integer(), nullable=False),
        sa.Column('merged_external_id', sa.String(length=255), nullable=False),
        sa.Column('merged_email', sa.String(length=254), nullable=True),
        sa.Column('merged_phone', sa.String(length=50), nullable=True),
        sa.Column('merged_name', sa.String(length=200), nullable=True),
        sa.Column('contacts_moved', sa.Integer(), nullable=False),
        sa.Column('actor_kind', sa.String(length=8), nullable=False),
        sa.Column('actor_name', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_merges_lead_id_leads')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_merges')),
    )
    with op.batch_alter_table('lead_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_merges_lead_id'), ['lead_id'], unique=False)
    _normalise_leads()


def downgrade():
    with op.batch_alter_table('lead_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_merges_lead_id'))
    op.drop_table('lead_merges')
    with op.batch_alter_table('lead_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_aliases_lead_id'))
    op.drop_table('lead_aliases')

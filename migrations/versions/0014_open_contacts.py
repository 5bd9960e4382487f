"""operators.open_contacts: each operator's open contacts, kept by triggers on contacts

The pick, the overview and the operators page read this column instead of counting
contacts. Database triggers change it in the statement that changes the contact - the
same transaction, and on PostgreSQL under the operator row's lock - whichever code,
process or tool wrote the contact; `flask --app wsgi check` recounts and reports drift.

Revision ID: 0014_open_contacts
Revises: 0013_weight_plans
Create Date: 2026-12-03 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014_open_contacts'
down_revision = '0013_weight_plans'
branch_labels = None
depends_on = None

OPEN = "('new', 'in_progress')"

# The operator a row counts for: its operator while it is open, else none.
SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER contacts_open_count_insert AFTER INSERT ON contacts
    WHEN NEW.operator_id IS NOT NULL AND NEW.status IN {OPEN}
    BEGIN
        UPDATE operators SET open_contacts = open_contacts + 1 WHERE id = NEW.operator_id;
    END
    """,
    f"""
    CREATE TRIGGER contacts_open_count_update AFTER UPDATE OF operator_id, status ON contacts
    WHEN (CASE WHEN OLD.status IN {OPEN} THEN OLD.operator_id END)
         IS NOT (CASE WHEN NEW.status IN {OPEN} THEN NEW.operator_id END)
    BEGIN
        UPDATE operators SET open_contacts = open_contacts - 1
        WHERE id = (CASE WHEN OLD.status IN {OPEN} THEN OLD.operator_id END);
        UPDATE operators SET open_contacts = open_contacts + 1
        WHERE id = (CASE WHEN NEW.status IN {OPEN} THEN NEW.operator_id END);
    END
    """,
    f"""
    CREATE TRIGGER contacts_open_count_delete AFTER DELETE ON contacts
    WHEN OLD.operator_id IS NOT NULL AND OLD.status IN {OPEN}
    BEGIN
        UPDATE operators SET open_contacts = open_contacts - 1 WHERE id = OLD.operator_id;
    END
    """,
]

POSTGRESQL_TRIGGERS = [
    f"""
    CREATE FUNCTION contacts_open_count() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        old_holder integer;
        new_holder integer;
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.status IN {OPEN} THEN old_holder := OLD.operator_id; END IF;
        IF TG_OP <> 'DELETE' AND NEW.status IN {OPEN} THEN new_holder := NEW.operator_id; END IF;
        IF old_holder IS DISTINCT FROM new_holder THEN
            UPDATE operators SET open_contacts = open_contacts - 1 WHERE id = old_holder;
            UPDATE operators SET open_contacts = open_contacts + 1 WHERE id = new_holder;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER contacts_open_count AFTER INSERT OR DELETE OR UPDATE OF operator_id, status
    ON contacts FOR EACH ROW EXECUTE FUNCTION contacts_open_count()
    """,
]


def upgrade():
    with op.batch_alter_table('operators') as batch_op:
        batch_op.add_column(sa.Column('open_contacts', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE operators SET open_contacts = (SELECT count(*) FROM contacts"
        f" WHERE contacts.operator_id = operators.id AND contacts.status IN {OPEN})"
    )
    triggers = POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == 'postgresql' else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER contacts_open_count ON contacts")
        op.execute("DROP FUNCTION contacts_open_count()")
    else:
        for name in ('insert', 'update', 'delete'):
            op.execute(f"DROP TRIGGER contacts_open_count_{name}")
    with op.batch_alter_table('operators') as batch_op:
        batch_op.drop_column('open_contacts')

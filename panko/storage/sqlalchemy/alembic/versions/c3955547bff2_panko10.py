"""The schema Panko 10.0.0 left behind.

Panko 10 created its tables without alembic and its one revision carried
this id. panko stamps a Panko 10 database with it, so that the next
revision converts that schema, and runs it as a no-op on an empty one.

Revision ID: c3955547bff2
Revises:
"""

revision = "c3955547bff2"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    pass

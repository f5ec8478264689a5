"""Updates are claimed by the worker handling them, so that another can take over.

With several workers on one database, an update whose worker died stays
unfinished; a live worker takes it over once its claim is older than the lease.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("updates")}
    if "claimed_at" not in columns:
        op.add_column("updates", sa.Column("claimed_at", sa.BigInteger))

"""Curation's records join the database: unanswered questions, trend counters, the audit log.

They used to live in files of their own under the data directory (``gaps.sqlite``,
``trends.sqlite``, ``audit.log``), which several workers could not share;
:func:`bot.curation.records.engine` moves such files in on first use.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "gaps" not in existing:
        op.create_table(
            "gaps",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("kind", sa.Text, nullable=False),
            sa.Column("day", sa.Text, nullable=False, index=True),
            sa.Column("lang", sa.Text, nullable=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("reply", sa.Text, nullable=False, server_default=""),
            sa.Column("reason", sa.Text, nullable=False, server_default=""),
        )
    if "trend_counts" not in existing:
        op.create_table(
            "trend_counts",
            sa.Column("week", sa.Text, primary_key=True),
            sa.Column("decision", sa.Text, primary_key=True),
            sa.Column("category", sa.Text, primary_key=True),
            sa.Column("topic", sa.Text, primary_key=True),
            sa.Column("language", sa.Text, primary_key=True),
            sa.Column("n", sa.BigInteger, nullable=False),
        )
    if "audit_log" not in existing:
        op.create_table(
            "audit_log",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", sa.Text, nullable=False),
            sa.Column("who", sa.Text, nullable=False),
            sa.Column("action", sa.Text, nullable=False),
            sa.Column("document", sa.Text, nullable=False),
        )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("trend_counts")
    op.drop_table("gaps")

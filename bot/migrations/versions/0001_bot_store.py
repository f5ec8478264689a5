"""The bot's store: users, 👎 feedback, the update journal and lesson progress.

Databases created before migrations existed already have some of these tables
(same columns); they are adopted, not recreated.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "users" not in existing:
        op.create_table(
            "users",
            sa.Column("user_hash", sa.Text, primary_key=True),
            sa.Column("lang", sa.Text),
            sa.Column("consent_at", sa.BigInteger),
            sa.Column("seen_at", sa.BigInteger, nullable=False),
        )
    if "feedback" not in existing:
        op.create_table(
            "feedback",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("user_hash", sa.Text, nullable=False, index=True),
            sa.Column("vote", sa.Text, nullable=False),
            sa.Column("decision", sa.Text, nullable=False),
            sa.Column("category", sa.Text, nullable=False),
            sa.Column("lang", sa.Text, nullable=False),
            sa.Column("question", sa.Text),
            sa.Column("reply", sa.Text),
            sa.Column("reason", sa.Text),
            sa.Column("created_at", sa.BigInteger, nullable=False),
            sa.CheckConstraint("vote IN ('up', 'down')", name="feedback_vote"),
        )
    if "updates" not in existing:
        op.create_table(
            "updates",
            sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("body", sa.Text),
            sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
            sa.Column("done", sa.Integer, nullable=False, server_default="0"),
            sa.Column("received_at", sa.BigInteger, nullable=False),
        )
    if "lessons" not in existing:
        op.create_table(
            "lessons",
            sa.Column("user_hash", sa.Text, primary_key=True),
            sa.Column("technique", sa.Text, primary_key=True),
            sa.Column("correct", sa.Integer, nullable=False),
            sa.Column("done_at", sa.BigInteger, nullable=False),
        )

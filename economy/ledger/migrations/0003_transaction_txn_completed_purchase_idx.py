"""A partial covering index for popular products: completed purchases by created_at, with
product_id and quantity in the index, so the window is read with an index-only scan.

A plain CREATE INDEX (about a second per million ledger rows, writes to the ledger wait that
long), not CONCURRENTLY: a concurrent build waits for every open transaction, including the
other releases queued on scripts/with_release_lock.py's advisory lock, and would deadlock
against them. On a very large ledger, build it by hand first with the same name and
definition plus CONCURRENTLY; then mark this migration applied with `migrate --fake`.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("ledger", "0002_refund_permission"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("kind", "purchase"), ("status", "completed")),
                fields=["created_at"],
                include=("product", "quantity"),
                name="txn_completed_purchase_idx",
            ),
        ),
    ]

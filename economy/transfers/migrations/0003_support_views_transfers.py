"""Support sees the transfers in the admin (read-only, like the ledger)."""

from django.db import migrations

from economy.common.role_migrations import grant_to_group

support_views_transfers = grant_to_group(
    "Support", "transfers", [("transfers", "transfer", "view_transfer")]
)


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0002_append_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("backoffice", "0003_holds_and_events"),
    ]

    operations = [support_views_transfers]

"""Support sees the endpoints and their deliveries, and sends a delivery again; managing the
endpoints (and their secrets) stays with superusers."""

from django.db import migrations

from economy.common.role_migrations import grant_to_group

support_sees_deliveries = grant_to_group(
    "Support",
    "webhooks",
    [
        ("webhooks", "endpoint", "view_endpoint"),
        ("webhooks", "delivery", "view_delivery"),
        ("webhooks", "delivery", "redeliver_delivery"),
    ],
)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("transfers", "0003_support_views_transfers"),
    ]

    operations = [support_sees_deliveries]

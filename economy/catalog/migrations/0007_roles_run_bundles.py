"""Content managers edit a bundle's contents with the product; Support sees them."""

from django.db import migrations

from economy.common.role_migrations import grant_to_group

GRANT_MODELS = ("currencygrant", "itemgrant")

content_managers_edit_bundles = grant_to_group(
    "Content managers",
    "catalog",
    [
        ("catalog", model, f"{action}_{model}")
        for model in GRANT_MODELS
        for action in ("add", "change", "delete", "view")
    ],
)
support_views_bundles = grant_to_group(
    "Support", "catalog", [("catalog", model, f"view_{model}") for model in GRANT_MODELS]
)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_bundles_windows_limits"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("backoffice", "0003_holds_and_events"),
    ]

    operations = [content_managers_edit_bundles, support_views_bundles]

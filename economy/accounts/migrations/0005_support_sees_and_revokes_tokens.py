"""Support sees every API token (never its key) and revokes one, and sees players' external
identities; the back office's group migrations ran first, so this adds rather than resets."""

from django.db import migrations

from economy.common.role_migrations import grant_to_group

support_sees_and_revokes_tokens = grant_to_group(
    "Support",
    "accounts",
    [
        ("accounts", "apitoken", "view_apitoken"),
        ("accounts", "apitoken", "delete_apitoken"),
        ("accounts", "externalidentity", "view_externalidentity"),
    ],
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_api_token_admin"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("webhooks", "0002_support_sees_deliveries"),
    ]

    operations = [support_sees_and_revokes_tokens]

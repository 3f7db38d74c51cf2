"""Support sees the transfers in the admin (read-only, like the ledger).

The permission is created here rather than by the post_migrate signal, which runs only after
every migration, as backoffice/0001_groups does for its own. It runs after the back office's
group migrations, whose forward functions reset each group's permissions to their lists.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT = "Support"
ADDED = [("transfers", "transfer", "view_transfer")]


def add_permissions(apps, schema_editor):
    using = schema_editor.connection.alias if schema_editor else "default"
    app_config = apps.get_app_config("transfers")
    # A historical app config has no models module, and create_permissions skips those.
    original = getattr(app_config, "models_module", None)
    app_config.models_module = original or True
    try:
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
    finally:
        app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name=SUPPORT)
    for app_label, model, codename in ADDED:
        group.permissions.add(
            Permission.objects.using(using).get(
                content_type__app_label=app_label, content_type__model=model, codename=codename
            )
        )


def remove_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    group = Group.objects.using(using).filter(name=SUPPORT).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.using(using).filter(
                content_type__app_label="transfers", codename__in=[c for _, _, c in ADDED]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0002_append_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("backoffice", "0003_holds_and_events"),
    ]

    operations = [migrations.RunPython(add_permissions, remove_permissions)]

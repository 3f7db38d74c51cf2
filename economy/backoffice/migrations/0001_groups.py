"""The back-office groups: "Content managers" run the catalog, "Support" sees everything and
may grant funds and refund purchases.

Permissions are normally created by a post_migrate signal, i.e. after every migration has run;
this migration needs them now, so it creates them first (idempotent, like the signal).
Re-running the forward function is safe: it only adds what is missing and resets each group's
permissions to the list below.
"""

from django.db import migrations

from economy.common.role_migrations import create_app_permissions

GROUPS = {
    "Content managers": [
        ("catalog", "product", "add_product"),
        ("catalog", "product", "change_product"),
        ("catalog", "product", "view_product"),
    ],
    "Support": [
        ("accounts", "user", "view_user"),
        ("catalog", "product", "view_product"),
        ("inventory", "inventoryitem", "view_inventoryitem"),
        ("ledger", "transaction", "view_transaction"),
        ("common", "idempotencyrecord", "view_idempotencyrecord"),
        # Grant funds (an `adjustment` with a reason) in the admin.
        ("accounts", "user", "add_funds"),
        # Refund a completed purchase in the admin.
        ("ledger", "transaction", "refund_purchase"),
    ],
}


def create_groups(apps, schema_editor):
    using = schema_editor.connection.alias if schema_editor else "default"
    for app_config in apps.get_app_configs():
        create_app_permissions(apps, app_config, using)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        permissions = [
            Permission.objects.using(using).get(
                content_type__app_label=app_label,
                content_type__model=model,
                codename=codename,
            )
            for app_label, model, codename in wanted
        ]
        group.permissions.set(permissions)


def delete_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0001_initial"),
        ("common", "0001_initial"),
        ("inventory", "0001_initial"),
        ("ledger", "0002_refund_permission"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]

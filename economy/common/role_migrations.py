"""Migrations that give a back-office role the permissions of an app's new models."""

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

Grant = tuple[str, str, str]  # (app label, model, codename)


def grant_to_group(group_name: str, app_label: str, grants: list[Grant]) -> migrations.RunPython:
    """Add `grants` (permissions of `app_label`'s models) to the group, creating them first:
    Django's post_migrate signal, which would, runs only after every migration. Run it after the
    back office's group migrations, whose forward functions reset each group's permissions."""

    def forward(apps: Any, schema_editor: Any) -> None:
        using = schema_editor.connection.alias if schema_editor else "default"
        create_app_permissions(apps, apps.get_app_config(app_label), using)
        group, _ = (
            apps.get_model("auth", "Group").objects.using(using).get_or_create(name=group_name)
        )
        group.permissions.add(*_permissions(apps, using, grants))

    def backward(apps: Any, schema_editor: Any) -> None:
        using = schema_editor.connection.alias
        group = apps.get_model("auth", "Group").objects.using(using).filter(name=group_name)
        if group.exists():
            group.get().permissions.remove(*_permissions(apps, using, grants))

    return migrations.RunPython(forward, backward)


def create_app_permissions(apps: Any, app_config: Any, using: str) -> None:
    """Create the permissions of an app's models now, from a migration's app registry."""
    # A historical app config has no models module, and create_permissions skips those.
    original = getattr(app_config, "models_module", None)
    app_config.models_module = original or True
    try:
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
    finally:
        app_config.models_module = original


def _permissions(apps: Any, using: str, grants: list[Grant]) -> list[Any]:
    permission_model = apps.get_model("auth", "Permission")
    return [
        permission_model.objects.using(using).get(
            content_type__app_label=app_label, content_type__model=model, codename=codename
        )
        for app_label, model, codename in grants
    ]

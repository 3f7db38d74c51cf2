"""System checks (`manage.py check`, run by migrate and runserver too) for what would otherwise
fail only at the first request."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.checks import CheckMessage, Warning, register
from django.core.files.storage import storages

COLLECT_HINT = "Run `manage.py collectstatic --noinput` first (scripts/release.sh does)."


def missing_static_manifest() -> Path | None:
    """Where the manifest of versioned static files should be, when the storage needs one and
    collectstatic has not written it; else None. Without it every admin page is a 500."""
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestStaticFilesStorage):
        return None
    manifest = Path(settings.STATIC_ROOT) / storage.manifest_name
    return None if manifest.exists() else manifest


@register("economy")  # not "staticfiles": collectstatic runs those, and is the cure
def static_files_collected(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    manifest = missing_static_manifest()
    if manifest is None:
        return []
    return [
        Warning(
            f"No static files manifest at {manifest}: collectstatic has not run, and the "
            "admin's pages would fail.",
            hint=COLLECT_HINT,
            id="economy.W001",
        )
    ]

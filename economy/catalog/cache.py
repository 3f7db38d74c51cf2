"""The catalog's version token: replaced on commit of any product change, so caches that embed
product details (a user's inventory) know they are stale without a key scan."""

import uuid

from django.db import transaction

from economy.common import cache as safe_cache

VERSION_KEY = "catalog:version"


def bump_version_on_commit():
    transaction.on_commit(lambda: safe_cache.safe_set(VERSION_KEY, uuid.uuid4().hex[:12], None))

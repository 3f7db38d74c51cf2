"""economy.common.cache.versioned_get_or_build: an entry is served only under current tokens."""

from django.core.cache import cache

from economy.common.cache import versioned_get_or_build

TOKENS = ("test:generation", "test:version")


def read(value):
    built = []

    def build():
        built.append(value)
        return value

    return versioned_get_or_build("test:entry", TOKENS, build, 60), bool(built)


def test_a_miss_creates_the_missing_tokens_and_stores_the_entry_for_the_next_read():
    assert read("v1") == ("v1", True)
    assert all(cache.get(key) for key in TOKENS)
    assert read("v2") == ("v1", False)


def test_a_replaced_token_makes_the_entry_stale():
    read("v1")
    cache.set("test:version", "new-token", None)
    assert read("v2") == ("v2", True)
    assert read("v3") == ("v2", False)


def test_an_evicted_token_never_brings_an_old_entry_back():
    read("v1")
    cache.delete("test:version")  # evicted (allkeys-lru) or lost: a new token replaces it
    assert read("v2") == ("v2", True)
    assert read("v3") == ("v2", False)


def test_a_token_set_by_someone_else_meanwhile_keeps_the_entry_out_of_the_cache(monkeypatch):
    from economy.common import cache as safe_cache

    # Another reader or a writer sets the token between our MGET and our SET NX.
    monkeypatch.setattr(safe_cache, "safe_add", lambda key, value, timeout: False)
    assert read("v1") == ("v1", True)
    monkeypatch.undo()
    assert cache.get("test:entry") is None
    assert read("v2") == ("v2", True)

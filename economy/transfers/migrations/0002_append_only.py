"""Transfers are append-only in the database, and a currency transfer is exactly its ledger row
(migrations/sql/0002_append_only.*.sql, by database)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent / "sql"


def _run(schema_editor, suffix):
    vendor = schema_editor.connection.vendor
    script = SQL / f"0002_append_only.{vendor}{suffix}.sql"
    if not script.exists():
        raise RuntimeError(f"The transfers' invariants exist for PostgreSQL and SQLite, not {vendor}.")
    for statement in schema_editor.connection.ops.prepare_sql_script(script.read_text()):
        schema_editor.execute(statement, params=None)


def install_invariants(apps, schema_editor):
    _run(schema_editor, "")


def remove_invariants(apps, schema_editor):
    _run(schema_editor, ".reverse")


class Migration(migrations.Migration):
    dependencies = [("transfers", "0001_initial")]

    operations = [migrations.RunPython(install_invariants, remove_invariants)]

"""Migrations that install what the database itself holds (triggers, functions), one SQL file
per database vendor."""

from pathlib import Path
from typing import Any

from django.db import migrations


def vendor_sql(script: Path) -> migrations.RunPython:
    """Run `<script>.<vendor>.sql` forward and `<script>.<vendor>.reverse.sql` backward, e.g.
    migrations/sql/0007_holds -> 0007_holds.postgresql.sql on PostgreSQL. A database with no
    script of its own is refused: the invariants it would lack are the point."""

    def run(suffix: str) -> Any:
        def apply(apps: Any, schema_editor: Any) -> None:
            connection = schema_editor.connection
            path = script.with_name(f"{script.name}.{connection.vendor}{suffix}.sql")
            if not path.exists():
                raise RuntimeError(f"{script.name} exists for PostgreSQL and SQLite only.")
            for statement in connection.ops.prepare_sql_script(path.read_text()):
                schema_editor.execute(statement, params=None)

        return apply

    return migrations.RunPython(run(""), run(".reverse"))

"""The migration to the double-entry ledger on a database that was in use: the previous revision
of the service (a git worktree of the commit before the ledger's wallets came in) migrates a
scratch database and writes to it through its own services: top-ups, grants, purchases,
refused purchases, a refund. This revision then migrates it, and the books reconcile."""

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.support.processes import REPO, connect, scratch_database

pytestmark = pytest.mark.slow

FIRST_DOUBLE_ENTRY_MIGRATION = "economy/ledger/migrations/0004_wallets.py"

USE_THE_OLD_SERVICES = """
import json
from economy.accounts.models import User
from economy.catalog.models import Product
from economy.common.exceptions import DomainError
from economy.inventory import services as inventory
from economy.ledger import services as ledger

potion = Product.objects.create(name="Potion", price=40, type="consumable")
crown = Product.objects.create(name="Crown", price=300, type="permanent")
alice = User.objects.create(username="alice")
bob = User.objects.create(username="bob")
carol = User.objects.create(username="carol")  # never moves money
ledger.add_funds(user_id=alice.pk, amount=1000, idempotency_key="pay-1")
ledger.grant_funds(user_id=bob.pk, amount=90, reason="Welcome")
bought = inventory.purchase_product(user_id=alice.pk, product_id=potion.pk, quantity=5)
inventory.purchase_product(user_id=alice.pk, product_id=crown.pk)
inventory.use_product(user_id=alice.pk, product_id=potion.pk)
inventory.refund_purchase(transaction_id=bought.transaction.pk, reason="Mistake")
for user, product in ((bob, crown), (alice, crown)):
    try:
        inventory.purchase_product(user_id=user.pk, product_id=product.pk)
    except DomainError:
        pass  # refused: a failed row
print(json.dumps({u.username: u.balance for u in User.objects.order_by("pk")}))
"""


def git(*args, cwd=REPO):
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def previous_revision(tmp_path):
    """A worktree of the last commit before the double-entry ledger, or a skip saying why."""
    if shutil.which("git") is None or git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("no git repository to take the previous revision from")
    added = git("rev-list", "-1", "HEAD", "--", FIRST_DOUBLE_ENTRY_MIGRATION).stdout.strip()
    if not added:
        pytest.skip(f"{FIRST_DOUBLE_ENTRY_MIGRATION} is not committed yet")
    if git("cat-file", "-e", f"{added}^").returncode != 0:
        pytest.skip("the history before the double-entry ledger is not in this clone")
    worktree = tmp_path / "previous"
    assert git("worktree", "add", "--detach", str(worktree), f"{added}^").returncode == 0
    try:
        install_what_this_venv_lacks(worktree, worktree / ".packages")
        yield worktree
    finally:
        git("worktree", "remove", "--force", str(worktree))


PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^]]*\])?==([^\s;#]+)")


def install_what_this_venv_lacks(checkout: Path, target: Path) -> None:
    """The previous revision runs on this venv plus, in `target`, the runtime pins it declares
    that this venv lacks or holds at another version (a dependency since removed)."""
    wanted = []
    for line in (checkout / "requirements" / "base.txt").read_text().splitlines():
        pin = PIN.match(line.strip())
        if pin is None:
            continue
        name, version = pin.groups()
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wanted.append(f"{name}=={version}")
    target.mkdir()
    if wanted:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
             "--target", str(target), *wanted],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr


def manage(checkout: Path, database_url: str, *args: str) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "REDIS_URL", "CACHE_KEY_PREFIX"))
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=database_url)
    if (checkout / ".packages").is_dir():
        env["PYTHONPATH"] = str(checkout / ".packages")
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def test_a_database_the_previous_revision_used_reconciles_after_the_migration(
    previous_revision,
):
    with scratch_database("economy_migration") as url:
        manage(previous_revision, url, "migrate", "--verbosity", "0")
        balances = json.loads(
            manage(previous_revision, url, "shell", "-c", USE_THE_OLD_SERVICES).splitlines()[-1]
        )
        assert balances == {"alice": 1000 - 5 * 40 - 300 + 4 * 40, "bob": 90, "carol": 0}

        manage(REPO, url, "migrate", "--verbosity", "0")
        report = json.loads(manage(REPO, url, "reconcile_ledger", "--json"))

        assert report["drift"] == []
        assert report["unbalanced_currencies"] == {}
        with connect(url) as conn:
            wallets = dict(
                conn.execute(
                    "SELECT u.username, w.balance FROM ledger_wallet w"
                    " JOIN accounts_user u ON u.id = w.owner_id"
                ).fetchall()
            )
            sides = conn.execute(
                "SELECT t.kind, t.status, d.name, c.name FROM ledger_transaction t"
                " JOIN ledger_wallet d ON d.id = t.debit_wallet_id"
                " JOIN ledger_wallet c ON c.id = t.credit_wallet_id ORDER BY t.id"
            ).fetchall()
        # Users who never moved money have no wallet: it opens on first use.
        assert wallets == {"alice": balances["alice"], "bob": 90}
        assert sides == [
            ("deposit", "completed", "faucet:deposits", ""),
            ("adjustment", "completed", "faucet:grants", ""),
            ("purchase", "completed", "", "sink:store"),
            ("purchase", "completed", "", "sink:store"),
            ("refund", "completed", "sink:store", ""),
            ("purchase", "failed", "", "sink:store"),
            ("purchase", "failed", "", "sink:store"),
        ]
        # And the migrated database keeps working on the new code path.
        manage(REPO, url, "grant_funds", "bob", "10", "--reason", "After the migration")
        assert json.loads(manage(REPO, url, "reconcile_ledger", "--json"))["drift"] == []

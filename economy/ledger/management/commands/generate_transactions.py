"""Fill the ledger with synthetic transactions, fast, for query plans and benchmarks."""

from django.core.management.base import BaseCommand, CommandError

from economy.common.exceptions import InvalidInput
from economy.ledger import synthetic


class Command(BaseCommand):
    help = (
        "Add COUNT synthetic ledger rows on PostgreSQL in one INSERT ... SELECT generate_series "
        "(1,000,000 rows in about a minute), for EXPLAIN and benchmarks. It creates its own "
        "users (COUNT/100 by default) and consumable products (50), never touching existing "
        "ones. The ledger invariant holds: each new user gets skewed purchases over the last "
        "DAYS days (about 10% failed), one completed deposit dated before them covering what "
        "its completed purchases cost plus 1-1000, and a balance set to its ledger sum, all in "
        "one transaction. Inventories are not filled. Ends with VACUUM ANALYZE of the ledger."
    )

    def add_arguments(self, parser):
        parser.add_argument("count_arg", nargs="?", type=int, metavar="COUNT", help="Rows to add.")
        parser.add_argument("--count", type=int, help="Rows to add (same as COUNT).")
        parser.add_argument("--users", type=int, help="Users to create (default COUNT/100).")
        parser.add_argument("--products", type=int, default=50, help="Products to create.")
        parser.add_argument("--days", type=int, default=90, help="Spread rows over N days.")
        parser.add_argument(
            "--failed-ratio", type=float, default=0.1, help="Share of failed purchases."
        )

    def handle(self, *args, **options):
        count = options["count"] or options["count_arg"]
        if not count:
            raise CommandError("Give the number of rows: generate_transactions --count 1000000")
        try:
            result = synthetic.generate_transactions(
                count=count,
                users=options["users"],
                products=options["products"],
                days=options["days"],
                failed_ratio=options["failed_ratio"],
            )
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Added {result.purchases + result.deposits} ledger rows ({result.purchases} "
            f"purchases, {result.deposits} deposits) for {result.users} new users "
            f"(gen-{result.tag}-*) and {result.products} new products (Generated {result.tag})."
        )

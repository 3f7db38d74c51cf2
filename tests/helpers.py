"""Assertions shared by the suite."""

import threading

from django.db import connections

from economy.ledger.selectors import ledger_drift


def purchase(client, product, **body):
    """POST /products/{id}/purchase; the response, whatever it is."""
    return client.post(f"/api/v1/products/{product.pk}/purchase", body, format="json")


def buy(client, product, quantity=1):
    """A purchase that must succeed."""
    response = purchase(client, product, quantity=quantity)
    assert response.status_code == 201, response.content
    return response


def inventory(client, user):
    return client.get(f"/api/v1/users/{user.pk}/inventory")


def assert_ledger_consistent():
    """For every user: balance == completed credits - completed debits in the ledger."""
    drift = [(u.username, u.balance, u.ledger_total) for u in ledger_drift()]
    assert drift == [], f"balance differs from the ledger (user, balance, ledger): {drift}"


def run_concurrently(fn, args_list, timeout=60):
    """Run fn(*args) in one thread per item, all released at once; return results in order.

    Each thread uses its own database connection and closes it, so no connection leaks into
    the next test. Exceptions are returned, not raised, so the caller can assert on them.
    """
    barrier = threading.Barrier(len(args_list))
    results = [None] * len(args_list)

    def worker(index, args):
        try:
            barrier.wait(timeout=timeout)
            results[index] = fn(*args)
        except Exception as exc:  # returned to the test to assert on
            results[index] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(index, args)) for index, args in enumerate(args_list)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a concurrent worker hung (deadlock?)"
    return results

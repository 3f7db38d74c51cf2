"""Real threads, released at once, each on its own database connection."""

import threading

from django.db import connections


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

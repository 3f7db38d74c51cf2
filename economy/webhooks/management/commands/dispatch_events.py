import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from economy.webhooks import delivery


class Command(BaseCommand):
    help = (
        "Do what celery beat's dispatch does, in this process: give new events their feed "
        "position, queue their deliveries and send what is due, once or every --every seconds "
        "until interrupted. For a machine without beat (`make run`); production runs beat."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--every", type=float, help="repeat every this many seconds (default: run once)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["every"]
        if every is not None and every <= 0:
            raise CommandError("--every must be more than 0.")
        while True:
            batches = delivery.dispatch()
            sent = sum(delivery.send_batch(endpoint, ids) for endpoint, ids in batches.items())
            queued = sum(len(ids) for ids in batches.values())
            if queued or every is None:
                self.stdout.write(f"{sent} of {queued} deliveries sent.")
            if every is None:
                return
            time.sleep(every)

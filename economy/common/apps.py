from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "economy.common"
    label = "common"

    def ready(self):
        from django.core.signals import request_finished

        from .cache import forget_read_ahead

        request_finished.connect(forget_read_ahead, dispatch_uid="cache-forget-read-ahead")

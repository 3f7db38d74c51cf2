from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "economy.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

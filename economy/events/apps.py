from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "economy.events"
    label = "events"
    verbose_name = "Events"

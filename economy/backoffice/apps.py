from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The back office: where the apps meet for staff (admin pages, groups, demo data).

    It sits above every other app, so accounts, catalog, ledger and inventory never import
    upward to show each other in the admin.
    """

    name = "economy.backoffice"
    label = "backoffice"

import django_filters

from .models import Kind, Status, Transaction


class TransactionFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)

    class Meta:
        model = Transaction
        fields = ["kind", "status"]

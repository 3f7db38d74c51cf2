import django_filters

from .models import Product, ProductType


class ProductFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=ProductType.choices)

    class Meta:
        model = Product
        fields = ["type"]

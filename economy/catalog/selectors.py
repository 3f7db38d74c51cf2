from .models import Product


def active_products():
    return Product.objects.filter(is_active=True).order_by("id")

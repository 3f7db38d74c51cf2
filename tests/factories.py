import factory
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from economy.catalog.models import Currency, Product, ProductType
from economy.ledger import services as ledger


def default_currency():
    """The default currency, created as the migration creates it when a flush removed it."""
    currency, _ = Currency.objects.get_or_create(
        is_default=True, defaults={"code": "coins", "name": "Coins"}
    )
    return currency


class CurrencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Currency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"currency{n}")
    name = factory.LazyAttribute(lambda c: c.code.title())


class UserFactory(factory.django.DjangoModelFactory):
    """A player. `funds=N` gives it a balance the honest way: a ledger adjustment."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"player{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def funds(user, create, extracted, **kwargs):
        if create and extracted:
            ledger.adjust_balance(
                user_id=user.pk, amount=extracted, currency=default_currency(), reason="test funds"
            )


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class TokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Token
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    description = "A product for tests."
    price = 100
    price_currency = factory.LazyFunction(default_currency)
    type = ProductType.CONSUMABLE
    is_active = True


class PermanentProductFactory(ProductFactory):
    type = ProductType.PERMANENT
    price = 500

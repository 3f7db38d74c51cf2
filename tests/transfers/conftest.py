import pytest

from economy.inventory import services as inventory
from economy.ledger import services as ledger
from tests.factories import (
    CurrencyFactory,
    PermanentProductFactory,
    ProductFactory,
    UserFactory,
    default_currency,
)
from tests.support.api import client_for


@pytest.fixture
def gems(db):
    """A currency players may gift one another, up to 500 a day."""
    return CurrencyFactory(code="gems", name="Gems", is_giftable=True, daily_transfer_limit=500)


@pytest.fixture
def coins(db):
    """The default currency: not giftable, as every currency starts."""
    return default_currency()


@pytest.fixture
def alice(db, gems):
    """A player with 1000 coins and 1000 gems."""
    user = UserFactory(username="alice", funds=1000)
    ledger.add_funds(user_id=user.pk, amount=1000, currency=gems)
    return user


@pytest.fixture
def bob(db, gems):
    """Another player, with 100 coins and 100 gems."""
    user = UserFactory(username="bob", funds=100)
    ledger.add_funds(user_id=user.pk, amount=100, currency=gems)
    return user


@pytest.fixture
def alice_client(alice):
    return client_for(alice)


@pytest.fixture
def bob_client(bob):
    return client_for(bob)


@pytest.fixture
def potion(db):
    """A consumable players may gift."""
    return ProductFactory(name="Potion", price=10, is_giftable=True)


@pytest.fixture
def skin(db):
    """A permanent players may gift."""
    return PermanentProductFactory(name="Skin", price=100, is_giftable=True)


@pytest.fixture
def alice_items(alice, potion, skin):
    """Alice holds 5 potions and the skin."""
    inventory.purchase_product(user_id=alice.pk, product_id=potion.pk, quantity=5)
    inventory.purchase_product(user_id=alice.pk, product_id=skin.pk)
    return {potion.pk: 5, skin.pk: 1}

"""Examples the OpenAPI schema shows for the store's endpoints: a bundle, a time-limited item,
a boost's effect, a purchase limit reached."""

from drf_spectacular.utils import OpenApiExample

_ROW = {
    "status": "completed",
    "failure_reason": "",
    "refund_of_id": None,
    "created_at": "2026-12-03T08:00:00Z",
}

BUNDLE_PURCHASE = OpenApiExample(
    "A bundle: the starter pack",
    summary="250 coins for 100 gems and 3 boosts, delivered together",
    response_only=True,
    status_codes=["201"],
    value={
        "transaction": {
            **_ROW,
            "id": 8,
            "kind": "purchase",
            "amount": 250,
            "currency": "coins",
            "debit": "player:1",
            "credit": "sink:store",
            "quantity": 1,
            "unit_price": 250,
            "product_id": 9,
            "product_name": "Starter pack",
            "reason": "",
        },
        "quantity_held": 1,
        "expires_at": None,
        "granted_items": [
            {
                "product_id": 1,
                "name": "Буст на день",
                "quantity": 3,
                "quantity_held": 3,
                "expires_at": None,
            }
        ],
        "rewards": [
            {
                **_ROW,
                "id": 9,
                "kind": "reward",
                "amount": 100,
                "currency": "gems",
                "debit": "faucet:rewards",
                "credit": "player:1",
                "quantity": 1,
                "unit_price": None,
                "product_id": 9,
                "product_name": "Starter pack",
                "reason": "Granted by Starter pack",
            }
        ],
        "currency": "coins",
        "balance": 750,
        "held": 0,
        "available": 750,
        "balances": {
            "coins": {"balance": 750, "held": 0, "available": 750},
            "gems": {"balance": 110, "held": 0, "available": 110},
        },
    },
)

TIME_LIMITED_PURCHASE = OpenApiExample(
    "A time-limited item: a 30-day premium pass",
    summary="Owned until expires_at; buying it again extends it by 30 days",
    response_only=True,
    status_codes=["201"],
    value={
        "transaction": {
            **_ROW,
            "id": 10,
            "kind": "purchase",
            "amount": 300,
            "currency": "coins",
            "debit": "player:1",
            "credit": "sink:store",
            "quantity": 1,
            "unit_price": 300,
            "product_id": 8,
            "product_name": "Premium pass (30 days)",
            "reason": "",
        },
        "quantity_held": 1,
        "expires_at": "2027-01-02T08:00:00Z",
        "granted_items": [],
        "rewards": [],
        "currency": "coins",
        "balance": 450,
        "held": 0,
        "available": 450,
        "balances": {"coins": {"balance": 450, "held": 0, "available": 450}},
    },
)

LIMIT_REACHED = OpenApiExample(
    "A one-per-player offer bought already",
    response_only=True,
    status_codes=["409"],
    value={
        "error": {
            "code": "purchase_limit_reached",
            "message": "The player has bought as many of this product as its limit allows.",
            "details": {
                "product_id": 10,
                "limit": 1,
                "period": "lifetime",
                "remaining": 0,
                "resets_at": None,
            },
        }
    },
)

BOOST_USED = OpenApiExample(
    "A boost with a one-day effect",
    summary="Its effect runs until active_until; using another extends it by a day",
    response_only=True,
    status_codes=["200"],
    value={
        "product_id": 1,
        "used": 1,
        "quantity_left": 2,
        "active_until": "2026-12-04T08:00:00Z",
    },
)

_PRODUCT = {
    "description": "",
    "type": "consumable",
    "price": 100,
    "is_active": True,
    "currency": "coins",
}

INVENTORY = OpenApiExample(
    "A boost running, a premium pass until its expiry",
    response_only=True,
    status_codes=["200"],
    value={
        "user_id": 1,
        "consumables": [
            {
                "product": {**_PRODUCT, "id": 1, "name": "Буст на день", "duration_seconds": 86400},
                "quantity": 2,
                "active_until": "2026-12-04T08:00:00Z",
                "purchased_at": "2026-12-03T07:00:00Z",
                "updated_at": "2026-12-03T08:00:00Z",
            }
        ],
        "permanents": [
            {
                "product": {
                    **_PRODUCT,
                    "id": 8,
                    "name": "Premium pass (30 days)",
                    "type": "permanent",
                    "price": 300,
                    "duration_seconds": 2592000,
                },
                "expires_at": "2027-01-02T08:00:00Z",
                "purchased_at": "2026-12-03T08:00:00Z",
            }
        ],
        "active_effects": [
            {"product_id": 1, "name": "Буст на день", "active_until": "2026-12-04T08:00:00Z"}
        ],
    },
)

OFFER = OpenApiExample(
    "A one-per-player offer with a bundle's contents",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 10,
        "name": "Welcome offer",
        "description": "5 health potions, one per player.",
        "price": 20,
        "currency": "coins",
        "type": "consumable",
        "is_active": True,
        "is_giftable": False,
        "duration_seconds": None,
        "available_from": None,
        "available_until": None,
        "grants": {
            "currencies": [],
            "items": [
                {"product_id": 3, "name": "Health potion", "type": "consumable", "quantity": 5}
            ],
        },
        "created_at": "2026-12-01T08:00:00Z",
        "updated_at": "2026-12-01T08:00:00Z",
        "purchase_limit": {"limit": 1, "period": "lifetime", "remaining": 1, "resets_at": None},
    },
)

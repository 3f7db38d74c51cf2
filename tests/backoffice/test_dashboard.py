"""The economy dashboard in /admin/economy/dashboard/: the figures of a seeded ledger per UTC
day, its charts and tables, who may see it, and its form's refusals."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from economy.backoffice import dashboard
from economy.catalog.models import CurrencyGrant
from economy.inventory.services import purchase_product, refund_purchase
from tests.factories import (
    CurrencyFactory,
    PermanentProductFactory,
    StaffFactory,
    default_currency,
)
from tests.support.admin import login
from tests.support.economy import seed_three_days

pytestmark = pytest.mark.django_db

URL = "/admin/economy/dashboard/"


def test_the_figures_of_each_day_come_from_the_ledger():
    seeded = seed_three_days()
    start, end = seeded.days[0], seeded.days[-1]

    figures = dashboard.economy_figures(currency=default_currency(), start=start, end=end)

    flows = figures.flows
    assert flows.days == seeded.days
    assert flows.issued == {"faucet:deposits": [500, 0, 50], "faucet:grants": [100, 0, 0]}
    assert flows.absorbed == {"sink:spend": [0, 20, 0], "sink:store": [30, 70, 0]}
    assert flows.returned == [0, 30, 0]
    assert flows.net == [570, -60, 50]
    assert (flows.purchases, flows.paying_players, flows.revenue) == (
        [1, 2, 0],
        [1, 1, 0],
        [30, 70, 0],
    )
    assert flows.paying_players_in_range == 2
    assert [(p["name"], p["purchases"], p["units"], p["revenue"]) for p in flows.top_products] == [
        ("Sword", 2, 3, 90),
        ("Potion", 1, 1, 10),
    ]
    position = figures.position
    assert (position.circulation, position.held, position.wallets) == (560, 40, 3)
    assert (position.holds_pending, position.holds_amount) == (1, 40)
    assert figures.circulation == [570, 510, 560]


def test_a_range_that_ended_earlier_derives_its_circulation_from_what_came_after():
    seeded = seed_three_days()

    figures = dashboard.economy_figures(
        currency=default_currency(), start=seeded.days[0], end=seeded.days[1]
    )

    assert figures.flows.net == [570, -60]
    assert figures.position.net_since_range == 50
    assert figures.circulation == [570, 510]


def test_another_currency_has_figures_of_its_own():
    seed_three_days()
    gems = CurrencyFactory(code="gems")
    start, end = dashboard.default_range()

    figures = dashboard.economy_figures(currency=gems, start=start, end=end)

    assert figures.flows.issued == {} and figures.flows.absorbed == {}
    assert sum(figures.flows.purchases) == 0
    assert figures.position.circulation == 0


def test_the_figures_are_cached_until_the_ledger_is_read_again(support_client):
    seed_three_days()
    support_client.get(URL)

    with CaptureQueriesContext(connection) as queries:
        page = support_client.get(URL)

    assert page.status_code == 200
    ledger_reads = [q["sql"] for q in queries if "ledger_transaction" in q["sql"]]
    assert ledger_reads == []


def test_support_sees_the_charts_and_their_tables(support_client):
    seeded = seed_three_days()

    page = support_client.get(URL)

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<svg class="chart"') == 6
    assert 'data-series="faucet:deposits" data-value="500"' in html
    assert 'data-series="sink:store" data-value="70"' in html
    assert 'data-series="net issuance" data-value="-60"' in html
    sections = {s["id"]: s for s in page.context["sections"]}
    assert sections["top-products"]["rows"] == [["Sword", 2, 3, 90], ["Potion", 1, 1, 10]]
    today, yesterday, before = seeded.days[::-1]
    assert sections["net"]["columns"][3:] == ["refunded from sinks", "taken back by faucets", "net"]
    assert sections["net"]["rows"][1] == [yesterday.isoformat(), 0, 90, 30, 0, -60]
    assert sections["circulation"]["rows"][:3] == [
        [today.isoformat(), 560],
        [yesterday.isoformat(), 510],
        [before.isoformat(), 570],
    ]
    assert "https://" not in html.split("<body", 1)[1].replace("https://www.djangoproject", "")


def test_the_content_manager_sees_it_from_the_index(content_client):
    index = content_client.get("/admin/").content.decode()
    assert f'href="{URL}"' in index
    assert content_client.get(URL).status_code == 200


def test_staff_without_a_role_are_refused_and_not_shown_the_link(db):
    client = login(StaffFactory(username="nobody"))
    assert client.get(URL).status_code == 403
    assert URL not in client.get("/admin/").content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-13-01"}, "start", "Enter a valid date."),
        ({"start": "yesterday"}, "start", "Enter a valid date."),
        ({"start": "2026-01-10", "end": "2026-01-01"}, "end", "before the start date"),
        ({"start": "2020-01-01"}, "start", "at most 366 days"),
        ({"currency": "doubloons"}, "currency", "Select a valid choice"),
    ],
)
def test_a_bad_range_is_a_form_error_never_a_500(support_client, query, field, message):
    response = support_client.get(URL, query)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert "sections" not in response.context


def test_an_end_in_the_future_is_refused(support_client):
    tomorrow = dashboard.today() + timedelta(days=1)
    response = support_client.get(URL, {"end": tomorrow.isoformat()})
    assert "in the future" in " ".join(response.context["form"].errors["end"])


def test_a_range_of_366_days_is_accepted(support_client):
    end = dashboard.today()
    start = end - timedelta(days=365)
    response = support_client.get(URL, {"start": start.isoformat(), "end": end.isoformat()})
    assert response.status_code == 200
    assert len(response.context["figures"].flows.days) == 366


def test_a_refunded_bundles_grant_is_taken_back_not_a_negative_refund(player):
    gems = CurrencyFactory(code="gems")
    pack = PermanentProductFactory(name="Gem pack", price=250)
    CurrencyGrant.objects.create(bundle=pack, currency=gems, amount=100)
    bought = purchase_product(user_id=player.pk, product_id=pack.pk)
    refund_purchase(transaction_id=bought.transaction.pk, reason="Unhappy")
    start, end = dashboard.default_range()

    gem_flows = dashboard.economy_figures(currency=gems, start=start, end=end).flows
    coin_flows = dashboard.economy_figures(currency=default_currency(), start=start, end=end).flows

    assert gem_flows.issued == {"faucet:rewards": [0] * (dashboard.DEFAULT_DAYS - 1) + [100]}
    assert (gem_flows.returned[-1], gem_flows.taken_back[-1], gem_flows.net[-1]) == (0, 100, 0)
    assert (coin_flows.returned[-1], coin_flows.taken_back[-1]) == (250, 0)
    issued_today = sum(per_day[-1] for per_day in coin_flows.issued.values())
    assert coin_flows.absorbed["sink:store"][-1] == 250
    assert coin_flows.net[-1] == issued_today  # the purchase and its refund cancel out

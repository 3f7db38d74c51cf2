"""The back office in a real browser: headless Chromium (Debian's package) through Selenium,
against pytest-django's live server (which serves the admin's static files).

Skipped, with the reason, only where Chromium or chromedriver is not installed
(`scripts/install_test_deps.sh` installs both)."""

import os
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from economy.catalog.models import Product
from economy.common.exceptions import InsufficientFunds
from economy.inventory.models import InventoryItem
from economy.inventory.services import purchase_product
from economy.ledger import holds
from economy.ledger.models import HoldStatus, Kind, Transaction
from economy.ledger.services import spend
from economy.webhooks import tasks
from economy.webhooks.models import Delivery, Endpoint
from tests.factories import CurrencyFactory, ProductFactory, UserFactory, default_currency
from tests.support.admin import CONTENT_MANAGERS, SUPPORT, staff_in
from tests.support.economy import seed_three_days
from tests.support.ledger import assert_ledger_consistent, balance_of, wallet_of
from tests.support.receivers import Receiver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
WAIT = 20

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(tmp_path):
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.skip(f"no {' / '.join(missing)}: run scripts/install_test_deps.sh (as root)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    # The system binary and driver, given explicitly: Selenium Manager never downloads one.
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        # No name resolves but the live server's: a page that needs the internet shows it.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


class AdminPage:
    """The few gestures the scenario needs, each waiting for the next page to load."""

    def __init__(self, driver, base_url):
        self.driver, self.base_url = driver, base_url

    def find(self, css):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def open(self, path):
        self.driver.get(f"{self.base_url}{path}")

    def submit(self, css):
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        page = self.find("body")
        self.find(css).click()

        def replaced(_driver):
            """The old page's body is gone. Chromedriver says so with a stale element, or,
            when it looks in the middle of the navigation, with an inspector error that the
            node no longer belongs to the document."""
            try:
                page.is_enabled()
            except StaleElementReferenceException:
                return True
            except WebDriverException as exc:
                if "does not belong to the document" in str(exc):
                    return True
                raise
            return False

        WebDriverWait(self.driver, WAIT).until(replaced)

    def type(self, css, text):
        field = self.find(css)
        field.clear()
        field.send_keys(str(text))

    def choose(self, css, value):
        from selenium.webdriver.support.ui import Select

        Select(self.find(css)).select_by_value(value)

    def log_in(self, username):
        self.driver.delete_all_cookies()
        self.open("/admin/login/?next=/admin/")
        self.type("#id_username", username)
        self.type("#id_password", PASSWORD)
        self.submit("input[type=submit]")
        assert self.driver.current_url == f"{self.base_url}/admin/", self.text()

    def text(self):
        return self.find("body").text

    def messages(self):
        return self.find("ul.messagelist").text


def wallet_rows(admin):
    """The Wallets inline of a user's page: currency, balance, held, available per row."""
    rows = admin.find("#wallets-group").find_elements("css selector", "tbody tr.wallet")
    return [
        [
            cell.text
            for cell in row.find_elements(
                "css selector",
                "td.field-currency, td.field-balance, td.field-held, td.field-available",
            )
        ]
        for row in rows
    ]


def test_content_manager_then_support_in_the_admin(browser, live_server, tmp_path):
    from selenium.webdriver.support.ui import Select

    screenshots = tmp_path / "screenshots"
    screenshots.mkdir()
    admin = AdminPage(browser, live_server.url)
    carol = staff_in(CONTENT_MANAGERS, username="carol")
    sam = staff_in(SUPPORT, username="sam")
    player = UserFactory(username="pat", funds=100)
    gems = CurrencyFactory(code="gems", name="Gems")

    # The admin's static files are served, and the stylesheet applies.
    with urllib.request.urlopen(f"{live_server.url}/static/admin/css/base.css") as response:  # noqa: S310
        assert response.status == 200
    admin.log_in(carol.username)
    header = browser.execute_script(
        "return getComputedStyle(document.getElementById('header')).backgroundColor"
    )
    assert header not in ("", "transparent", "rgba(0, 0, 0, 0)")

    # A content manager creates a product; a price of 0 is a form error first.
    admin.open("/admin/catalog/product/add/")
    admin.type("#id_name", "Dragon egg")
    admin.type("#id_description", "Hatches in three days.")
    admin.choose("#id_type", "permanent")
    # The default currency is offered first; this one is priced in gems.
    assert Select(admin.find("#id_price_currency")).first_selected_option.text == "coins"
    admin.choose("#id_price_currency", str(gems.pk))
    admin.type("#id_price", 0)
    browser.execute_script("document.getElementById('id_price').removeAttribute('min')")
    admin.submit("input[name=_save]")
    assert "The price must be greater than 0." in admin.text()
    assert not Product.objects.filter(name="Dragon egg").exists()
    admin.type("#id_price", 750)
    admin.submit("input[name=_save]")
    assert "was added successfully" in admin.messages()
    egg = Product.objects.get(name="Dragon egg")
    assert (egg.type, egg.price, egg.price_currency, egg.is_active) == (
        "permanent",
        750,
        gems,
        True,
    )
    admin.open("/admin/catalog/product/?q=Dragon")
    assert "750 gems" in admin.text()

    # ...then deactivates it with the bulk action.
    admin.open("/admin/catalog/product/?q=Dragon")
    admin.find(f"input[name=_selected_action][value='{egg.pk}']").click()
    admin.choose("select[name=action]", "deactivate")
    admin.submit("button[name=index]")
    assert "1 product(s) deactivated." in admin.messages()
    egg.refresh_from_db()
    assert egg.is_active is False

    # Support grants funds to a player, with a reason; the wallets are on the player's page.
    admin.log_in(sam.username)
    admin.open(f"/admin/accounts/user/{player.pk}/change/")
    assert wallet_rows(admin) == [["coins", "100", "0", "100"]]
    admin.submit("a.grant-funds-link")
    assert "coins 100" in admin.text()
    assert Select(admin.find("#id_currency")).first_selected_option.text == "coins"
    admin.type("#id_amount", 250)
    admin.type("#id_reason", "Compensation for ticket 4711")
    admin.submit("input[name=grant]")
    # A page says what will happen; nothing has yet.
    assert "100 → 350 coins" in admin.text()
    assert balance_of(player) == 100
    browser.save_screenshot(str(screenshots / "support-grant-confirmation.png"))
    admin.submit("input[name=confirm]")
    assert "Adjusted pat's coins by +250: balance is now 350" in admin.messages()
    assert balance_of(player) == 350
    grant = Transaction.objects.filter(user=player).first()
    assert (grant.kind, grant.amount, grant.reason, grant.created_by) == (
        Kind.ADJUSTMENT,
        250,
        "Compensation for ticket 4711",
        sam,
    )
    browser.save_screenshot(str(screenshots / "support-after-grant.png"))

    # ...and takes some back, in gems this time, which the form says in its currency.
    admin.open(f"/admin/accounts/user/{player.pk}/grant-funds/")
    admin.choose("#id_currency", "gems")
    admin.type("#id_amount", 5)
    admin.type("#id_reason", "Event prize")
    admin.submit("input[name=grant]")
    admin.submit("input[name=confirm]")
    assert "Adjusted pat's gems by +5: balance is now 5" in admin.messages()
    admin.open(f"/admin/accounts/user/{player.pk}/grant-funds/")
    admin.choose("#id_currency", "gems")
    admin.type("#id_amount", -2)
    admin.type("#id_reason", "Prize given twice")
    admin.submit("input[name=grant]")
    admin.submit("input[name=confirm]")
    assert "Adjusted pat's gems by -2: balance is now 3" in admin.messages()
    assert (balance_of(player), balance_of(player, "gems")) == (350, 3)
    taken = Transaction.objects.filter(user=player).first()
    assert (taken.amount, taken.currency, taken.credit_wallet.name) == (2, gems, "sink:corrections")
    # Back on the player's page, both wallets, read-only: no input in the inline.
    assert wallet_rows(admin) == [["coins", "350", "0", "350"], ["gems", "3", "0", "3"]]
    assert admin.find("#wallets-group").find_elements("css selector", "input[type=text]") == []
    browser.execute_script("document.getElementById('wallets-group').scrollIntoView()")
    browser.save_screenshot(str(screenshots / "support-wallets.png"))
    assert_ledger_consistent()

    # Support voids a player's pending hold, with a reason, from a confirmation page.
    stake = holds.place_hold(
        user_id=player.pk,
        amount=40,
        currency=default_currency(),
        expires_at=timezone.now() + timedelta(hours=1),
        reference="Match 90",
    ).hold
    admin.open(f"/admin/accounts/user/{player.pk}/change/")
    assert wallet_rows(admin)[0] == ["coins", "350", "40", "310"]
    assert "Match 90" in admin.find("#holds-group").text
    admin.open("/admin/ledger/hold/")
    admin.find(f"input[name=_selected_action][value='{stake.pk}']").click()
    admin.choose("select[name=action]", "void")
    admin.submit("button[name=index]")
    assert "Voiding a hold releases all of it to its player" in admin.text()
    admin.type("#id_reason", "Match server crashed")
    browser.save_screenshot(str(screenshots / "support-void-hold.png"))
    admin.submit("input[name=apply]")
    assert f"#{stake.pk} voided: 40 coins released to pat." in admin.messages()
    browser.save_screenshot(str(screenshots / "support-holds-after-void.png"))
    stake.refresh_from_db()
    assert (stake.status, stake.reason, stake.resolved_by) == (
        HoldStatus.VOIDED,
        "Match server crashed",
        sam,
    )
    assert wallet_of(player).held == 0
    assert_ledger_consistent()
    print(f"screenshots: {screenshots}")


def css(admin, selector):
    return admin.driver.find_elements("css selector", selector)


def test_the_dashboard_draws_the_seeded_ledger_as_charts_with_tables(
    browser, live_server, tmp_path
):
    screenshots = tmp_path / "screenshots"
    screenshots.mkdir()
    seed_three_days()  # its players are alice, bob and carol
    manager = staff_in(CONTENT_MANAGERS, username="cora")
    browser.set_window_size(1400, 1000)
    admin = AdminPage(browser, live_server.url)
    admin.log_in(manager.username)

    # Found from the index, as the first thing a content manager sees.
    admin.submit("a[href='/admin/economy/dashboard/']")
    assert "Economy dashboard" in admin.text()
    assert len(css(admin, "svg.chart")) == 6
    bars = css(admin, "#section-issued svg rect.bar")
    deposits = [
        bar.get_attribute("data-value")
        for bar in bars
        if "deposits" in bar.get_attribute("data-series")
    ]
    assert deposits == ["500", "50"]
    assert len(css(admin, "#section-absorbed svg rect.bar")) == 3
    assert len(css(admin, "#section-circulation svg circle.point")) == 30
    # Each bar is drawn with a height, and its tooltip names its day and figure.
    assert all(float(bar.get_attribute("height")) > 0 for bar in bars)
    assert "faucet:deposits: 500" in bars[0].get_attribute("textContent")
    assert "sink:store" in admin.find("#section-absorbed .legend").text
    top = admin.find("#section-top-products table").text
    assert "Sword 2 3 90" in top and "Potion 1 1 10" in top
    assert admin.find("#kpi-circulation").text == "560"
    assert admin.find("#kpi-holds").text == "1"
    browser.save_screenshot(str(screenshots / "dashboard-top.png"))
    browser.execute_script("document.getElementById('section-net').scrollIntoView()")
    browser.save_screenshot(str(screenshots / "dashboard-net-and-circulation.png"))
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert all(url.startswith(live_server.url) for url in loaded), loaded

    # A range that ends before it starts is a form error, on the same page.
    admin.type("#id_start", "")
    browser.execute_script("document.getElementById('id_start').value = '2026-02-10'")
    browser.execute_script("document.getElementById('id_end').value = '2026-02-01'")
    admin.submit("#dashboard-form input[type=submit]")
    assert "The end date is before the start date." in admin.text()
    assert css(admin, "svg.chart") == []
    print(f"screenshots: {screenshots}")


def test_support_finds_a_player_by_email_and_refunds_a_purchase(browser, live_server, tmp_path):
    screenshots = tmp_path / "screenshots"
    screenshots.mkdir()
    sam = staff_in(SUPPORT, username="sam")
    pat = UserFactory(username="pat", email="Pat.Doe@example.com", funds=100)
    UserFactory(username="someone", email="someone@example.com", funds=100)
    sword = ProductFactory(name="Sword", price=30)
    purchase = purchase_product(user_id=pat.pk, product_id=sword.pk).transaction
    browser.set_window_size(1400, 1000)
    admin = AdminPage(browser, live_server.url)
    admin.log_in(sam.username)

    admin.open("/admin/accounts/user/")
    admin.type("#searchbar", "pat.doe@EXAMPLE.com")
    admin.submit("#changelist-search input[type=submit]")
    assert [a.text for a in css(admin, "#result_list tbody th a")] == ["pat"]
    admin.submit("#result_list tbody th a")

    # The desk leads with the wallets; no password, no Reset password button.
    assert wallet_rows(admin) == [["coins", "70", "0", "70"]]
    page = admin.text()
    assert page.index("Wallets") < page.index("Latest") < page.index("Username")
    assert "Reset password" not in page and "Password" not in page
    browser.save_screenshot(str(screenshots / "support-desk.png"))
    admin.submit(f"a[href='/admin/ledger/transaction/{purchase.pk}/refund/']")
    assert "1 unit(s), 30 coins credited to the player" in admin.text()
    browser.save_screenshot(str(screenshots / "support-refund-confirmation.png"))

    # Confirm without a reason: the form says so and nothing changes.
    browser.execute_script("document.getElementById('id_reason').removeAttribute('required')")
    admin.submit("input[name=confirm]")
    assert "This field is required." in admin.text()
    assert balance_of(pat) == 70
    admin.type("#id_reason", "Bought by mistake (ticket 88)")
    admin.submit("input[name=confirm]")
    refund = Transaction.objects.get(refund_of=purchase)
    assert f"#{purchase.pk} refunded: 1 unit(s), 30 coins credited to pat" in admin.messages()
    assert (refund.amount, refund.reason, refund.created_by) == (
        30,
        "Bought by mistake (ticket 88)",
        sam,
    )
    assert balance_of(pat) == 100
    assert InventoryItem.objects.get(user=pat, product=sword).quantity == 0
    assert wallet_rows(admin) == [["coins", "100", "0", "100"]]
    # The message links to the refund's own page.
    admin.submit("ul.messagelist a[href*='/ledger/transaction/']")
    assert browser.current_url.endswith(f"/admin/ledger/transaction/{refund.pk}/change/")
    browser.save_screenshot(str(screenshots / "support-refund-row.png"))
    assert_ledger_consistent()
    print(f"screenshots: {screenshots}")


def test_the_ledger_list_fits_1400_pixels_without_scrolling_sideways(
    browser, live_server, tmp_path
):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    player = UserFactory(username="a-player-with-a-rather-long-name-indeed", funds=1000)
    product = ProductFactory(name="A product whose name goes on and on and on", price=300)
    purchase_product(user_id=player.pk, product_id=product.pk, quantity=3)
    with pytest.raises(InsufficientFunds):
        purchase_product(user_id=player.pk, product_id=product.pk)
    browser.set_window_size(1400, 1000)
    admin = AdminPage(browser, live_server.url)
    admin.log_in(root.username)

    admin.open("/admin/ledger/transaction/")

    assert "insufficient funds" in admin.find("#result_list").text
    widths = browser.execute_script(
        "const page = document.documentElement, table = document.querySelector('.results');"
        "return [window.innerWidth, page.scrollWidth, page.clientWidth,"
        " table.scrollWidth, table.clientWidth]"
    )
    inner, page_scroll, page_client, table_scroll, table_client = widths
    assert inner >= 1385, widths
    assert page_scroll <= page_client and table_scroll <= table_client, widths
    browser.save_screenshot(str(tmp_path / "ledger-1400.png"))
    print(f"screenshot: {tmp_path / 'ledger-1400.png'}")


def test_a_superuser_adds_a_webhook_and_support_sends_a_failed_delivery_again(
    browser, live_server, tmp_path, settings
):
    settings.ECONOMY_WEBHOOK_RETRY_FOR_SECONDS = 0  # the first failure is final
    screenshots = tmp_path / "screenshots"
    screenshots.mkdir()
    UserFactory(username="root", is_staff=True, is_superuser=True)
    staff_in(SUPPORT, username="sam")
    receiver = Receiver(statuses=[503]).start()
    admin = AdminPage(browser, live_server.url)
    try:
        admin.log_in("root")
        admin.open("/admin/webhooks/endpoint/add/")
        admin.type("#id_url", receiver.url)
        admin.type("#id_description", "Match server")
        admin.find("input[name=event_types][value='spend.completed']").click()
        admin.submit("input[name=_save]")
        endpoint = Endpoint.objects.get()
        assert endpoint.event_types == ["spend.completed"]
        assert endpoint.secret in admin.messages()
        browser.save_screenshot(str(screenshots / "superuser-endpoint-secret.png"))

        player = UserFactory(username="pat", funds=100)  # balance.adjusted: not subscribed
        spend(user_id=player.pk, amount=30, currency=default_currency(), reason="Match 7")
        tasks.dispatch_events()  # the receiver answers 503: failed at once here
        admin.open("/admin/webhooks/endpoint/")
        assert "0 waiting · 1 failed · last failure 503 at" in admin.text()
        browser.save_screenshot(str(screenshots / "superuser-endpoint-health.png"))

        admin.log_in("sam")
        admin.open("/admin/webhooks/delivery/?status=failed")
        failed = Delivery.objects.get()
        assert failed.status == "failed"
        admin.find(f"input[name=_selected_action][value='{failed.pk}']").click()
        admin.choose("select[name=action]", "redeliver")
        admin.submit("button[name=index]")
        assert "1 deliveries queued again" in admin.messages()
        tasks.dispatch_events()
        admin.open("/admin/webhooks/delivery/")
        browser.save_screenshot(str(screenshots / "support-deliveries.png"))
        assert "Delivered" in admin.text()
    finally:
        receiver.stop()
    assert Delivery.objects.get().status == "delivered"
    got = receiver.received[-1]  # the first one answered 503
    assert Webhook(endpoint.secret).verify(got.body, got.headers)["type"] == "spend.completed"
    print(f"screenshots: {screenshots}")


def test_swagger_ui_renders_with_no_internet(browser, live_server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{live_server.url}/api/docs/")
    title = WebDriverWait(browser, WAIT).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".swagger-ui .title"))
    )
    assert title.text.startswith("Virtual economy API")
    WebDriverWait(browser, WAIT).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, ".opblock-tag-section")
    )
    assert "events" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui").text
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert loaded and all(url.startswith(live_server.url) for url in loaded), loaded
    browser.save_screenshot(str(tmp_path / "swagger-offline.png"))
    print(f"screenshot: {tmp_path / 'swagger-offline.png'}")


def test_a_content_manager_builds_a_bundle(browser, live_server, tmp_path):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from economy.catalog.models import CurrencyGrant, ItemGrant

    admin = AdminPage(browser, live_server.url)
    carol = staff_in(CONTENT_MANAGERS, username="carol")
    gems = CurrencyFactory(code="gems", name="Gems")
    boost = ProductFactory(name="XP boost", price=10, duration=timedelta(days=1))
    admin.log_in(carol.username)

    admin.open("/admin/catalog/product/add/")
    admin.type("#id_name", "Starter pack")
    admin.choose("#id_type", "permanent")
    admin.type("#id_price", 250)
    admin.type("#id_purchase_limit", 1)
    # The bundle's contents: a row of each inline, the product found by typing its name.
    admin.find("#currency_grants-group tr.add-row a").click()
    admin.choose("#id_currency_grants-0-currency", str(gems.pk))
    admin.type("#id_currency_grants-0-amount", 100)
    admin.find("#item_grants-group tr.add-row a").click()
    admin.find("#item_grants-0 .select2-selection").click()
    admin.find(".select2-search__field").send_keys("XP")

    def click_the_boost(driver):
        # select2 re-renders its results as each search answer lands: find and click in one
        # step, and again (StaleElementReferenceException ignored) if the option was replaced.
        for option in driver.find_elements(By.CSS_SELECTOR, ".select2-results__option"):
            if option.text == "XP boost":
                option.click()
                return True
        return False

    browser.save_screenshot(str(tmp_path / "content-manager-bundle-search.png"))
    WebDriverWait(browser, WAIT, ignored_exceptions=[StaleElementReferenceException]).until(
        click_the_boost
    )
    admin.type("#id_item_grants-0-quantity", 3)
    browser.save_screenshot(str(tmp_path / "content-manager-bundle-form.png"))
    admin.submit("input[name=_continue]")

    assert "was added successfully" in admin.messages(), admin.text()
    pack = Product.objects.get(name="Starter pack")
    assert (pack.purchase_limit, pack.limit_period) == (1, "lifetime")
    assert [(g.currency, g.amount) for g in CurrencyGrant.objects.filter(bundle=pack)] == [
        (gems, 100)
    ]
    assert [(g.product, g.quantity) for g in ItemGrant.objects.filter(bundle=pack)] == [(boost, 3)]
    browser.save_screenshot(str(tmp_path / "content-manager-bundle-saved.png"))

    # Bought, it delivers its contents with it.
    player = UserFactory(funds=1000)
    bought = purchase_product(user_id=player.pk, product_id=pack.pk)
    assert [(d.product, d.quantity) for d in bought.granted_items] == [(boost, 3)]
    assert balance_of(player, "gems") == 100
    admin.open("/admin/catalog/product/?q=")
    assert "250 coins" in admin.text() and "1 lifetime" in admin.text()
    assert "Consumable, 1 day" in admin.text()  # the boost's effect
    # The whole list fits a 1280 px window: nothing scrolls sideways.
    assert browser.execute_script(
        "const t = document.querySelector('#changelist-form .results');"
        "return t.scrollWidth <= t.clientWidth"
    )
    browser.save_screenshot(str(tmp_path / "content-manager-bundle-list.png"))
    print(f"screenshots: {tmp_path}")

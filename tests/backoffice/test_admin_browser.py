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
from economy.ledger import holds
from economy.ledger.models import HoldStatus, Kind, Transaction
from economy.ledger.services import spend
from economy.webhooks import tasks
from economy.webhooks.models import Delivery, Endpoint
from tests.factories import CurrencyFactory, UserFactory, default_currency
from tests.support.admin import CONTENT_MANAGERS, SUPPORT, staff_in
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
    rows = admin.find("#wallets-group").find_elements("css selector", "tbody tr.has_original")
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
    assert "Adjusted pat's gems by +5: balance is now 5" in admin.messages()
    admin.open(f"/admin/accounts/user/{player.pk}/grant-funds/")
    admin.choose("#id_currency", "gems")
    admin.type("#id_amount", -2)
    admin.type("#id_reason", "Prize given twice")
    admin.submit("input[name=grant]")
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

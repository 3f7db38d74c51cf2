"""The economy dashboard, an admin page of its own (EconomyAdminSite.get_urls): for one currency
and a range of UTC days, the figures of backoffice/dashboard.py as charts with their tables.

Who may see it: superusers, and staff who may view currencies (content managers and support,
through their groups). Any other staff member is refused with a 403."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from economy.catalog.models import Currency

from . import charts, dashboard

DASHBOARD_PERMISSION = "catalog.view_currency"


def can_view_dashboard(user: Any) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(DASHBOARD_PERMISSION))


class DashboardForm(forms.Form):
    currency = forms.ModelChoiceField(
        queryset=Currency.objects.order_by("-is_default", "code"),
        to_field_name="code",
        empty_label=None,
    )
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="From")
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="To")

    @classmethod
    def from_query(cls, query: Any) -> "DashboardForm":
        """Bound to the query string over the defaults: the default currency, the last
        DEFAULT_DAYS UTC days up to today."""
        start, end = dashboard.default_range()
        default = Currency.objects.filter(is_default=True).values_list("code", flat=True).first()
        data = {"currency": default, "start": start.isoformat(), "end": end.isoformat()}
        data.update({key: query[key] for key in data if query.get(key)})
        return cls(data)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: date | None = cleaned.get("start")
        end: date | None = cleaned.get("end")
        if start is None or end is None:
            return cleaned
        if end < start:
            self.add_error("end", "The end date is before the start date.")
        elif end > dashboard.today():
            self.add_error("end", "The end date is in the future: choose today or earlier.")
        elif end - start >= timedelta(days=dashboard.MAX_DAYS):
            self.add_error("start", f"Choose a range of at most {dashboard.MAX_DAYS} days.")
        return cleaned


def economy_dashboard(request: HttpRequest, site: AdminSite) -> HttpResponse:
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    form = DashboardForm.from_query(request.GET)
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": "Economy dashboard",
        "form": form,
        "max_days": dashboard.MAX_DAYS,
    }
    if form.is_valid():
        figures = dashboard.economy_figures(
            currency=form.cleaned_data["currency"],
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
        context.update(figures=figures, sections=sections(figures))
    return TemplateResponse(request, "admin/economy_dashboard.html", context)


def sections(figures: dashboard.Figures) -> list[dict[str, Any]]:
    """Each chart with the table under it: column names, then one row per day or product."""
    flows, code = figures.flows, figures.currency.code
    labels = [day.strftime("%m-%d") for day in flows.days]
    days = [day.isoformat() for day in flows.days]
    issued = charts.coloured(flows.issued)
    absorbed = charts.coloured(flows.absorbed, offset=1)
    net = charts.Series("net issuance", flows.net, charts.PALETTE[2])
    circulation = charts.Series("in circulation", figures.circulation, charts.PALETTE[0])
    bought = [
        charts.Series("purchases", flows.purchases, charts.PALETTE[0]),
        charts.Series("paying players", flows.paying_players, charts.PALETTE[1]),
    ]
    top = flows.top_products
    top_series = charts.Series("purchases", [row["purchases"] for row in top], charts.PALETTE[3])

    def per_day(*columns: list[int]) -> list[list[Any]]:
        """One row per day, the latest first: what one looks for is the recent days."""
        rows = [[day, *values] for day, *values in zip(days, *columns, strict=True)]
        return rows[::-1]

    return [
        {
            "id": "issued",
            "title": f"Issued by each faucet ({code})",
            "chart": charts.bar_chart(f"Issued by each faucet ({code})", labels, issued),
            "columns": ["day", *flows.issued, "total"],
            "rows": per_day(*flows.issued.values(), _totals(flows.issued.values(), days)),
        },
        {
            "id": "absorbed",
            "title": f"Absorbed by each sink ({code})",
            "chart": charts.bar_chart(f"Absorbed by each sink ({code})", labels, absorbed),
            "columns": ["day", *flows.absorbed, "total"],
            "rows": per_day(*flows.absorbed.values(), _totals(flows.absorbed.values(), days)),
        },
        {
            "id": "net",
            "title": (
                f"Net issuance ({code}): issued, less absorbed, plus refunded from sinks, "
                "less taken back by faucets"
            ),
            "chart": charts.bar_chart(f"Net issuance ({code})", labels, [net], stacked=False),
            "columns": [
                "day",
                "issued",
                "absorbed",
                "refunded from sinks",
                "taken back by faucets",
                "net",
            ],
            "rows": per_day(
                _totals(flows.issued.values(), days),
                _totals(flows.absorbed.values(), days),
                flows.returned,
                flows.taken_back,
                flows.net,
            ),
        },
        {
            "id": "circulation",
            "title": f"Currency in circulation ({code}): the players' balances at the day's end",
            "chart": charts.line_chart(f"Currency in circulation ({code})", labels, circulation),
            "columns": ["day", "in circulation"],
            "rows": per_day(figures.circulation),
        },
        {
            "id": "purchases",
            "title": "Purchases and paying players",
            "chart": charts.bar_chart(
                "Purchases and paying players", labels, bought, stacked=False
            ),
            "columns": ["day", "purchases", "paying players", f"spent ({code})"],
            "rows": per_day(flows.purchases, flows.paying_players, flows.revenue),
        },
        {
            "id": "top-products",
            "title": f"Top products, by purchases in {code}",
            "chart": charts.bar_chart(
                "Top products",
                [row["name"][:14] for row in top],
                [top_series],
                stacked=False,
            ),
            "columns": ["product", "purchases", "units", f"spent ({code})"],
            "rows": [[row["name"], row["purchases"], row["units"], row["revenue"]] for row in top],
        },
    ]


def _totals(columns: Any, days: list[str]) -> list[int]:
    columns = list(columns)
    return [sum(column[i] for column in columns) for i in range(len(days))]

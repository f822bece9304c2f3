"""THE definition of every KPI: the one place pages, CSV exports and the API take them from.

KPIs are pure functions over `Totals`, the summed figures of one slice (a partner and a
period, a kit, a launch, a day of a series) that `analytics.selectors` reads from the
daily metrics table and the MDF ledger. Nothing here queries the database.

Rules that hold for every KPI:

- Counts (clicks, downloads, leads, ...) are currency-free and add up across rows.
- Money stays per currency: pipeline, revenue and MDF spent are `{currency: Decimal}`;
  nothing adds two currencies together. A money ratio (cost per lead, pipeline per MDF
  dollar, MDF ROI) is computed per currency, within that currency only.
- A rate or ratio whose denominator is zero is None (shown as "—"), never an error or
  infinity.

MDF attribution is by linkage, never a tick box. For a slice and period:

- *MDF spent* is the fund money spent in the period: the ledger's `spend` entries
  (a claim approved) created in the period, per currency of their pool.
- A *funded request* is a fund request with spend in the period that names a launch
  (`FundRequest.launch`); its launch is a *funded launch*. The funded launch's results
  in the period are that request's results (a launch two requests fund counts once).
- Per currency C of the spend (the fund pool's): *funded spend in C* is the spend in
  the period on the funded requests of pools in C; *attributed leads in C* are the
  leads of the launches those requests name; *attributed pipeline and revenue in C*
  are those launches' pipeline and revenue in C (their amounts in other currencies are
  not set against C's spend). Spend on requests that name no launch counts in MDF spent
  but earns no attributed result.
- Cost per lead (C) = funded spend in C ÷ attributed leads in C.
- Pipeline per MDF dollar (C) = attributed pipeline in C ÷ funded spend in C.
- MDF ROI (C) = (attributed revenue in C − funded spend in C) ÷ funded spend in C, in
  percent: spend in C with no attributed revenue at all is −100 %; when the funded
  launches earned only in other currencies, None (not comparable). Revenue in a currency
  with no spend in it has no ROI (None): another currency's spend is never used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _

from mdf.money import format_money, format_number

Money = dict[str, Decimal]
Format = Literal["count", "percent", "money", "ratio"]
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
DASH = "—"

COUNT_FIELDS = (
    "clicks",
    "bot_clicks",
    "downloads",
    "leads",
    "mqls",
    "opportunities",
    "won",
    "lost",
)
MONEY_FIELDS = ("pipeline", "revenue")


@dataclass
class Totals:
    """The summed figures of one slice; what every KPI is computed from."""

    clicks: int = 0
    bot_clicks: int = 0
    downloads: int = 0
    leads: int = 0
    mqls: int = 0
    opportunities: int = 0
    won: int = 0
    lost: int = 0
    pipeline: Money = field(default_factory=dict)
    revenue: Money = field(default_factory=dict)
    # MDF (see the module docstring): all spend in the period, the spend on funded
    # requests, and the results of the funded launches.
    mdf_spent: Money = field(default_factory=dict)
    funded_spent: Money = field(default_factory=dict)
    # Leads of the launches funded in each currency (a launch funded in EUR counts
    # toward EUR's cost per lead only).
    funded_leads: dict[str, int] = field(default_factory=dict)
    funded_pipeline: Money = field(default_factory=dict)
    funded_revenue: Money = field(default_factory=dict)
    # Pipeline and revenue the launches funded in each currency brought in OTHER
    # currencies: spend in C against results only in D cannot be compared, which is
    # not the same as no result at all.
    funded_pipeline_elsewhere: Money = field(default_factory=dict)
    funded_revenue_elsewhere: Money = field(default_factory=dict)
    # MDF allocated to the slice's partner(s) for the period, per currency: filled only
    # by the readers that need it (`analytics.selectors.partner_mdf_allocated`), for
    # MDF utilisation; the allocation of a pool is not a sum over days, so `merge`
    # leaves it alone.
    mdf_allocated: Money = field(default_factory=dict)

    def add_row(self, row: Mapping[str, Any], *, prefix: str = "") -> None:
        """Add one grouped row of daily metrics (`clicks`, ..., `pipeline`, `revenue`
        and its `currency`; names may carry `prefix`)."""
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + int(row.get(prefix + name) or 0))
        currency = row.get("currency") or ""
        if currency:
            for name in MONEY_FIELDS:
                add_money(getattr(self, name), currency, row.get(prefix + name))

    def add_funded(
        self,
        spend_currency: str,
        leads: object,
        pipeline: object,
        revenue: object,
        revenue_elsewhere: object = None,
        pipeline_elsewhere: object = None,
    ) -> None:
        """Add results of launches funded in `spend_currency`: their leads, and their
        pipeline and revenue in that same currency (other currencies are not comparable)."""
        self.funded_leads[spend_currency] = self.funded_leads.get(spend_currency, 0) + int(
            leads or 0  # type: ignore[call-overload]
        )
        add_money(self.funded_pipeline, spend_currency, pipeline)
        add_money(self.funded_revenue, spend_currency, revenue)
        add_money(self.funded_revenue_elsewhere, spend_currency, revenue_elsewhere)
        add_money(self.funded_pipeline_elsewhere, spend_currency, pipeline_elsewhere)

    def merge(self, other: Totals) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for currency, leads in other.funded_leads.items():
            self.funded_leads[currency] = self.funded_leads.get(currency, 0) + leads
        for name in (
            "pipeline",
            "revenue",
            "mdf_spent",
            "funded_spent",
            "funded_pipeline",
            "funded_revenue",
            "funded_revenue_elsewhere",
            "funded_pipeline_elsewhere",
        ):
            mine = getattr(self, name)
            for currency, amount in getattr(other, name).items():
                add_money(mine, currency, amount)


def add_money(money: Money, currency: str, amount: object) -> None:
    """Add an amount (a database sum: Decimal, int, float on SQLite, or None) to the
    `currency` entry of `money`; zero amounts leave no entry."""
    value = Decimal(str(amount or 0)).quantize(CENT)
    if value:
        money[currency] = money.get(currency, ZERO) + value


# --- the definitions ------------------------------------------------------------------


def rate(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """numerator ÷ denominator in percent, to one decimal; None for a zero denominator."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(TENTH, ROUND_HALF_UP)


def cost_per_lead(totals: Totals) -> dict[str, Decimal | None]:
    return {
        currency: (spent / totals.funded_leads[currency]).quantize(CENT, ROUND_HALF_UP)
        if totals.funded_leads.get(currency)
        else None
        for currency, spent in sorted(totals.funded_spent.items())
    }


def _same_currency(
    totals: Totals, results: Money, compute: Callable[[Decimal, Decimal], Decimal]
) -> dict[str, Decimal | None]:
    """`compute(result in C, spend in C)` for each currency C with funded spend; None
    for a currency with results but no spend (nothing in that currency to compare
    with: another currency's spend is never used)."""
    values: dict[str, Decimal | None] = {}
    for currency in sorted(set(totals.funded_spent) | set(results)):
        spent = totals.funded_spent.get(currency, ZERO)
        values[currency] = compute(results.get(currency, ZERO), spent) if spent else None
    return values


def mdf_utilisation(totals: Totals) -> dict[str, Decimal | None]:
    """MDF spent ÷ MDF allocated, per currency, in percent; None for a currency with
    spend but nothing allocated for the period."""
    return {
        currency: rate(totals.mdf_spent.get(currency, ZERO), totals.mdf_allocated[currency])
        if totals.mdf_allocated.get(currency)
        else None
        for currency in sorted(set(totals.mdf_allocated) | set(totals.mdf_spent))
    }


def pipeline_per_mdf(totals: Totals) -> dict[str, Decimal | None]:
    values = _same_currency(
        totals,
        totals.funded_pipeline,
        lambda pipeline, spent: (pipeline / spent).quantize(CENT, ROUND_HALF_UP),
    )
    return _not_comparable(values, totals.funded_pipeline, totals.funded_pipeline_elsewhere)


def _not_comparable(
    values: dict[str, Decimal | None], results: Money, elsewhere: Money
) -> dict[str, Decimal | None]:
    """None for spend in C whose funded launches brought results only in other
    currencies: not comparable, which is not the same as no result."""
    for currency in values:
        if not results.get(currency) and elsewhere.get(currency):
            values[currency] = None
    return values


def mdf_roi(totals: Totals) -> dict[str, Decimal | None]:
    values = _same_currency(
        totals,
        totals.funded_revenue,
        lambda revenue, spent: ((revenue - spent) * 100 / spent).quantize(TENTH, ROUND_HALF_UP),
    )
    return _not_comparable(values, totals.funded_revenue, totals.funded_revenue_elsewhere)


@dataclass(frozen=True)
class KPI:
    """One KPI: its name (CSV column, API key), label, one-line meaning (README, help
    text, tooltips), format and definition. `per_currency` KPIs are {currency: value}."""

    name: str
    label: Any
    meaning: Any
    format: Format
    compute: Callable[[Totals], Any]
    per_currency: bool = False

    def value(self, totals: Totals) -> Any:
        return self.compute(totals)


def _count(name: str) -> Callable[[Totals], int]:
    return lambda totals: getattr(totals, name)


def _money(name: str) -> Callable[[Totals], Money]:
    return lambda totals: dict(sorted(getattr(totals, name).items()))


KPIS: tuple[KPI, ...] = (
    KPI(
        "clicks",
        _("Clicks"),
        _("Clicks on your tracking links, without bots and repeats."),
        "count",
        _count("clicks"),
    ),
    KPI(
        "downloads",
        _("Downloads"),
        _("Content downloaded from the library."),
        "count",
        _count("downloads"),
    ),
    KPI("leads", _("Leads"), _("Leads your campaigns brought in."), "count", _count("leads")),
    KPI("mqls", _("MQLs"), _("Leads qualified by marketing."), "count", _count("mqls")),
    KPI(
        "opportunities",
        _("Opportunities"),
        _("Sales opportunities opened."),
        "count",
        _count("opportunities"),
    ),
    KPI("won", _("Won deals"), _("Deals closed and won."), "count", _count("won")),
    KPI(
        "pipeline",
        _("Pipeline"),
        _("Value of the opportunities opened, per currency."),
        "money",
        _money("pipeline"),
        per_currency=True,
    ),
    KPI(
        "revenue",
        _("Revenue"),
        _("Value of the deals won, per currency."),
        "money",
        _money("revenue"),
        per_currency=True,
    ),
    KPI(
        "click_to_lead",
        _("Click → lead"),
        _("Leads ÷ clicks."),
        "percent",
        lambda t: rate(t.leads, t.clicks),
    ),
    KPI(
        "lead_to_opportunity",
        _("Lead → opportunity"),
        _("Opportunities ÷ leads."),
        "percent",
        lambda t: rate(t.opportunities, t.leads),
    ),
    KPI(
        "opportunity_to_won",
        _("Opportunity → won"),
        _("Won deals ÷ opportunities."),
        "percent",
        lambda t: rate(t.won, t.opportunities),
    ),
    KPI(
        "mdf_spent",
        _("MDF spent"),
        _("Fund money spent: claims approved in the period, per currency of the fund pool."),
        "money",
        _money("mdf_spent"),
        per_currency=True,
    ),
    KPI(
        "cost_per_lead",
        _("Cost per lead"),
        _("MDF spent on requests that name a launch ÷ the leads of those launches."),
        "money",
        cost_per_lead,
        per_currency=True,
    ),
    KPI(
        "pipeline_per_mdf",
        _("Pipeline per MDF dollar"),
        _("Pipeline of the funded launches ÷ MDF spent on them, in the same currency."),
        "ratio",
        pipeline_per_mdf,
        per_currency=True,
    ),
    KPI(
        "mdf_roi",
        _("MDF ROI"),
        _(
            "(Revenue of the funded launches − MDF spent on them) ÷ MDF spent on them, "
            "in the same currency."
        ),
        "percent",
        mdf_roi,
        per_currency=True,
    ),
)
BY_NAME: dict[str, KPI] = {kpi.name: kpi for kpi in KPIS}
# Read by joint marketing plans (a target on it), not by the dashboards, the metrics
# API and the leaderboard: its denominator, the allocations of the period, is not part
# of the daily totals those read (`partner_totals`); a plan adds it
# (`analytics.selectors.partner_mdf_allocated`).
MDF_UTILISATION = KPI(
    "mdf_utilisation",
    _("MDF utilisation"),
    _(
        "MDF spent in the period ÷ MDF allocated for it (allocations of the fund pools "
        "whose period overlaps it), per currency."
    ),
    "percent",
    mdf_utilisation,
    per_currency=True,
)
# The tiles of the portal dashboard, in order.
TILE_KPIS = (
    "clicks",
    "leads",
    "opportunities",
    "won",
    "pipeline",
    "revenue",
    "click_to_lead",
    "mdf_roi",
)
COMPACT_TILE_KPIS = ("clicks", "leads", "pipeline", "revenue")


def compute_all(totals: Totals, names: Iterable[str] | None = None) -> dict[str, Any]:
    """{name: value} of the named KPIs (all by default)."""
    return {name: BY_NAME[name].value(totals) for name in (names or BY_NAME)}


# --- how they are shown ---------------------------------------------------------------


def format_scalar(fmt: Format, value: Any, currency: str = "") -> str:
    """One value as people read it: 1,234 · 12.5 % · 1,250.00 EUR · 4.20× · "—" for None."""
    if value is None:
        return DASH
    if fmt == "count":
        return format_number(int(value))
    if fmt == "percent":
        return f"{format_number(value, 1)} %".replace("-", "\u2212")  # a real minus sign
    if fmt == "money":
        return format_money(value, currency)
    return f"{format_number(value, 2)}×"


def display(kpi: KPI, value: Any) -> list[str]:
    """A KPI's value as lines of text: one per currency for money KPIs ("—" when there
    is none), else one."""
    if kpi.per_currency:
        if not value:
            return [DASH]
        fmt: Format = kpi.format
        texts = []
        for currency, amount in value.items():
            text = format_scalar(fmt, amount, currency)
            if fmt != "money":
                text = f"{text} ({currency})"
            texts.append(text)
        return texts
    return [format_scalar(kpi.format, value)]


def plain(value: Any) -> str:
    """A value for a CSV cell or the API: plain digits, no grouping; None is empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


@dataclass(frozen=True)
class Change:
    """The change of one value against the previous period, told in words and an
    arrow (never by colour alone): direction is "up", "down" or "flat"."""

    direction: str
    text: str
    currency: str = ""

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼"}.get(self.direction, "■")


def _direction(delta: Decimal | int) -> str:
    return "up" if delta > 0 else "down" if delta < 0 else "flat"


def _change_of(fmt: Format, now: Any, before: Any, currency: str = "") -> Change | None:
    if now is None or before is None:
        return None
    delta = now - before
    direction = _direction(delta)
    if fmt == "percent":
        points = Decimal(delta).quantize(TENTH, ROUND_HALF_UP)
        points_text = _("%(sign)s%(points)s points") % {
            "sign": "+" if points > 0 else "",
            "points": format_number(points, 1).replace("-", "\u2212"),
        }
        return Change(direction, str(points_text), currency)
    relative = rate(delta, before) if before else None
    if relative is None:
        return Change(direction, str(_("new") if now else _("no change")), currency)
    return Change(
        direction,
        f"{'+' if relative > 0 else ''}{format_number(relative, 1)} %".replace("-", "\u2212"),
        currency,
    )


def change(kpi: KPI, now: Any, before: Any) -> list[Change]:
    """How a KPI moved from the previous period to this one: relative change for counts
    and money (per currency), percentage points for rates; nothing where it cannot be
    said (a rate undefined in either period)."""
    if kpi.per_currency:
        changes = []
        for currency in sorted(set(now or {}) | set(before or {})):
            if kpi.format == "money":
                found = _change_of(
                    kpi.format,
                    (now or {}).get(currency, ZERO),
                    (before or {}).get(currency, ZERO),
                    currency,
                )
            else:
                found = _change_of(
                    kpi.format, (now or {}).get(currency), (before or {}).get(currency), currency
                )
            if found is not None:
                changes.append(found)
        return changes
    found = _change_of(kpi.format, now, before)
    return [found] if found is not None else []


def as_json(totals: Totals) -> dict[str, Any]:
    """Every KPI for the API: counts as integers, rates as decimal strings (percent),
    per-currency KPIs as [{"currency": "EUR", "value": "1250.00"}]; None stays null."""
    data: dict[str, Any] = {}
    for kpi in KPIS:
        value = kpi.value(totals)
        if kpi.per_currency:
            data[kpi.name] = [
                {"currency": currency, "value": None if amount is None else f"{amount:f}"}
                for currency, amount in value.items()
            ]
        elif kpi.format == "count":
            data[kpi.name] = value
        else:
            data[kpi.name] = None if value is None else f"{value:f}"
    return data

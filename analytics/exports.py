"""KPIs as CSV columns: plain machine-readable numbers (no grouping, no currency signs),
one column group per currency ("pipeline_EUR", "revenue_EUR", ...), rates in percent
("click_to_lead_pct"). Shared by the portal's and the staff pages' exports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from analytics.kpis import KPIS, ZERO, Totals, plain


def currencies_of(totals: Iterable[Totals]) -> list[str]:
    """Every currency any money KPI of these totals has, sorted."""
    found: set[str] = set()
    for item in totals:
        for name in ("pipeline", "revenue", "mdf_spent", "funded_spent"):
            found.update(getattr(item, name))
    return sorted(found)


def _suffix(kpi_format: str) -> str:
    return "_pct" if kpi_format == "percent" else ""


def kpi_header(currencies: list[str]) -> list[str]:
    header = [kpi.name + _suffix(kpi.format) for kpi in KPIS if not kpi.per_currency]
    for currency in currencies:
        header += [
            f"{kpi.name}_{currency}{_suffix(kpi.format)}" for kpi in KPIS if kpi.per_currency
        ]
    return header


def kpi_cells(totals: Totals, currencies: list[str]) -> list[Any]:
    """The KPI values in `kpi_header`'s order: numbers (Decimal, int) or "" for none."""
    values = {kpi.name: kpi.value(totals) for kpi in KPIS}
    cells: list[Any] = [plain(values[kpi.name]) for kpi in KPIS if not kpi.per_currency]
    for currency in currencies:
        for kpi in KPIS:
            if kpi.per_currency:
                value = values[kpi.name].get(currency)
                if value is None and kpi.format == "money" and kpi.name != "cost_per_lead":
                    value = ZERO
                cells.append(plain(value))
    return cells

"""The periods dashboards show: presets (last 30 days, this quarter, ...), a custom
from/to, the previous period of equal length to compare with, and the chart's
granularity. Parsing of these from a query string lives here, once, for the portal,
the staff pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

PRESETS = {
    "30d": _("Last 30 days"),
    "quarter": _("This quarter"),
    "last_quarter": _("Last quarter"),
    "ytd": _("Year to date"),
    "12m": _("Last 12 months"),
    "custom": _("Custom"),
}
DEFAULT_PRESET = "30d"
GRANULARITIES = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
# The longest period a page or the API reads at once (a year of days is 366 points).
MAX_DAYS = 3 * 366


class PeriodError(ValueError):
    """Bad period input; `field` names the query parameter."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    preset: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, "previous")

    @property
    def label(self) -> Any:
        return PRESETS.get(self.preset, PRESETS["custom"])


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset_period(preset: str, today: date) -> Period:
    if preset == "quarter":
        return Period(quarter_start(today), today, preset)
    if preset == "last_quarter":
        end = quarter_start(today) - timedelta(days=1)
        return Period(quarter_start(end), end, preset)
    if preset == "ytd":
        return Period(date(today.year, 1, 1), today, preset)
    if preset == "12m":
        return Period(today - timedelta(days=364), today, preset)
    return Period(today - timedelta(days=29), today, "30d")


def parse_day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PeriodError(field, _("Enter a date as YYYY-MM-DD.")) from None


def parse_period(
    params: Any,
    today: date,
    *,
    from_key: str = "from",
    to_key: str = "to",
    preset_key: str = "period",
) -> Period:
    """The period a query string asks for: `from`/`to` (either may be given; the other
    defaults to the preset's), else the preset (`period=`), else the last 30 days.
    Raises PeriodError naming the field for a bad date, from > to or a span too long."""
    preset = params.get(preset_key) or DEFAULT_PRESET
    if preset not in PRESETS:
        raise PeriodError(preset_key, _("Choose one of: %s.") % ", ".join(PRESETS))
    start_text = (params.get(from_key) or "").strip()
    end_text = (params.get(to_key) or "").strip()
    base = preset_period(DEFAULT_PRESET if preset == "custom" else preset, today)
    if not start_text and not end_text:
        return base
    start = parse_day(start_text, from_key) if start_text else base.start
    end = parse_day(end_text, to_key) if end_text else base.end
    if start > end:
        raise PeriodError(from_key, _("The start date must be on or before the end date."))
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(to_key, _("A period is at most %d days.") % MAX_DAYS)
    return Period(start, end, "custom")


def parse_granularity(params: Any, default: str = "day", *, key: str = "granularity") -> str:
    value = params.get(key) or default
    if value not in GRANULARITIES:
        raise PeriodError(key, _("Choose one of: day, week, month."))
    return value


def default_granularity(period: Period) -> str:
    """Days for a month or so, weeks for a quarter, months beyond."""
    if period.days <= 45:
        return "day"
    if period.days <= 120:
        return "week"
    return "month"

"""Reads of joint marketing plans: open periods, a partner's plans, the staff review
queue, the plan as canonical content (what a revision freezes), the scorecard with its
actuals from the KPIs, the budget against MDF, activities' results and revisions.

Actuals are never typed for a KPI target: each quarter's figure is the KPI module's
(`analytics.kpis`) over the partner's totals for that quarter
(`analytics.selectors.partner_totals`), so the plan, the performance page and the API
say the same number. Custom targets carry the actual someone entered, with who and when.

A plan page runs a fixed number of queries whatever its number of targets and
activities, and a list of plans whatever its number of plans: scorecards are read
together (`plan_scorecards`: every plan's targets at once, every plan's quarters in one
batch of `analytics.selectors.partner_totals_by_period`), a plan's page being a list of
one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django_scopes import scope

from analytics import kpis
from analytics import selectors as analytics_selectors
from analytics.selectors import PartnerPeriod
from campaigns.models import (
    Plan,
    PlanActivity,
    PlanPeriod,
    PlanRevision,
    PlanTarget,
    PlanTargetQuarter,
)
from campaigns.selectors.kits import LaunchResults, launch_results
from partners import roles
from partners.models import Partner

M = PlanTarget.Measure
TENTH = Decimal("0.1")
CENT = Decimal("0.01")
# Measures that are a rate (a percentage): their period figure is the rate over the
# whole period, and their period target the mean of the quarters' targets; counts and
# money add up over the quarters.
RATE_MEASURES = (M.MDF_UTILISATION,)


# --- periods --------------------------------------------------------------------------


def open_periods() -> QuerySet[PlanPeriod]:
    """The periods partners may start plans for, soonest first."""
    return PlanPeriod.objects.filter(is_open=True).order_by("start", "kind")


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def period_quarters(period: PlanPeriod) -> list[tuple[date, date]]:
    """The calendar quarters of a period as (first day, last day), in order."""
    quarters = []
    start = period.start
    for _ in range(period.quarter_count):
        following = _add_months(start, 3)
        quarters.append((start, date.fromordinal(following.toordinal() - 1)))
        start = following
    return quarters


# --- plans ----------------------------------------------------------------------------


def plans_for_partner(*, partner: Partner) -> QuerySet[Plan]:
    """The partner's plans, the latest period first (a lazy queryset: read it in the
    partner's scope, as the portal and the API do)."""
    return Plan.objects.filter(partner=partner).select_related("period", "partner")


def plan_for_partner(*, partner: Partner, uuid: Any) -> Plan:
    """One of the partner's plans by its UUID; another partner's, a missing one or a
    malformed UUID: the same 404."""
    try:
        with scope(partner=partner):
            return plans_for_partner(partner=partner).get(uuid=uuid)
    except (Plan.DoesNotExist, DjangoValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


def is_marketing_admin(user: User | AnonymousUser) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser) or user.groups.filter(name=roles.MARKETING_ADMIN).exists()


def plans_for_review(*, user: User | AnonymousUser) -> QuerySet[Plan]:
    """The staff queue: submitted plans this user may decide (the plan's reviewer, else
    the partner's channel manager; a Marketing admin every plan), the oldest first.
    Staff code across partners: callers run with scopes disabled (the admin)."""
    plans = (
        Plan.objects.filter(status=Plan.Status.SUBMITTED)
        .select_related("period", "partner", "reviewer", "partner__channel_manager")
        .order_by("submitted_at", "pk")
    )
    if not (user.is_authenticated and user.is_staff and user.is_active):
        return plans.none()
    if is_marketing_admin(user):
        return plans
    return plans.filter(Q(reviewer=user) | Q(reviewer__isnull=True, partner__channel_manager=user))


def _targets(plans: Iterable[Plan]) -> dict[int, list[PlanTarget]]:
    """{plan id: its targets in order, each with its quarters} (two queries), in the
    caller's scope."""
    quarters = PlanTargetQuarter.objects.select_related("actual_entered_by").order_by("quarter")
    found: dict[int, list[PlanTarget]] = {plan.pk: [] for plan in plans}
    for target in (
        PlanTarget.objects.filter(plan__in=list(found))
        .order_by("plan_id", "position", "id")
        .prefetch_related(Prefetch("quarters", quarters))
    ):
        found[target.plan_id].append(target)
    return found


def plan_targets(*, plan: Plan) -> list[PlanTarget]:
    """The plan's targets in order, each with its quarters (two queries)."""
    with scope(partner=plan.partner_id):
        return _targets([plan])[plan.pk]


def plan_activities(*, plan: Plan) -> list[PlanActivity]:
    """The plan's activities by start date, with their type, kit, launch and fund
    request (one query)."""
    with scope(partner=plan.partner_id):
        return list(
            PlanActivity.objects.filter(plan=plan)
            .select_related("activity_type", "kit", "launch", "fund_request")
            .order_by("start_date", "id")
        )


def _plain(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"


def plan_content(*, plan: Plan) -> dict[str, Any]:
    """The plan as a revision freezes it: title, objectives, period, targets with their
    quarterly values and weight, activities with their links. Execution (activity
    status, custom actuals, comments) is not the plan and is left out."""
    targets = plan_targets(plan=plan)
    activities = plan_activities(plan=plan)
    return {
        "title": plan.title,
        "objectives": plan.objectives,
        "period": {
            "name": plan.period.name,
            "kind": plan.period.kind,
            "start": plan.period.start.isoformat(),
            "end": plan.period.end.isoformat(),
        },
        "targets": [
            {
                "key": f"t{target.pk}",
                "measure": target.measure,
                "name": target.name,
                "currency": target.currency,
                "weight": _plain(target.weight),
                "values": [_plain(quarter.value) for quarter in target.quarters.all()],
            }
            for target in targets
        ],
        "activities": [
            {
                "key": str(activity.uuid),
                "title": activity.title,
                "type": activity.activity_type.name,
                "owner_side": activity.owner_side,
                "start_date": activity.start_date.isoformat(),
                "end_date": activity.end_date.isoformat(),
                "budget": _plain(activity.budget),
                "currency": activity.currency,
                "kit": activity.kit.name if activity.kit else "",
                "launch": activity.launch.code if activity.launch else "",
                "fund_request": str(activity.fund_request.uuid) if activity.fund_request else "",
            }
            for activity in activities
        ],
    }


def canonical_json(content: dict[str, Any]) -> str:
    """One text for one content: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- scorecard ------------------------------------------------------------------------


def attainment(actual: Decimal | None, target: Decimal) -> Decimal | None:
    """actual ÷ target in percent, one decimal; None (shown "—") for a zero target or
    no actual yet."""
    if actual is None or not target:
        return None
    return (actual * 100 / target).quantize(TENTH, ROUND_HALF_UP)


@dataclass
class QuarterScore:
    quarter: int
    start: date
    end: date
    target: Decimal
    actual: Decimal | None
    attainment: Decimal | None
    # Custom targets: who entered the actual, and when (empty for KPI targets).
    entered_by: str = ""
    entered_at: str = ""


@dataclass
class ScoreRow:
    target_id: int
    measure: str
    label: str
    currency: str
    weight: Decimal
    quarters: list[QuarterScore]
    target: Decimal
    actual: Decimal | None
    attainment: Decimal | None
    # MDF utilisation per currency when the partner's funds are in several (the
    # scored actual is then None: percentages of two currencies do not combine).
    detail: dict[str, Decimal | None] = field(default_factory=dict)

    @property
    def is_custom(self) -> bool:
        return self.measure == M.CUSTOM

    @property
    def is_rate(self) -> bool:
        return self.measure in RATE_MEASURES


@dataclass
class Scorecard:
    """A plan's targets against their actuals, quarter by quarter, and the weighted
    total: Σ(weight × attainment) ÷ Σ weight over the targets that have an attainment
    (a zero target or a missing actual has none and is left out, shown "—")."""

    rows: list[ScoreRow]
    weighted_total: Decimal | None
    as_of: date
    frozen: bool = False

    def as_json(self) -> dict[str, Any]:
        """The scorecard as JSON-ready data (decimals as strings), to freeze."""

        def plain(value: Any) -> Any:
            if isinstance(value, Decimal):
                return f"{value:f}"
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, dict):
                return {key: plain(item) for key, item in value.items()}
            if isinstance(value, list):
                return [plain(item) for item in value]
            return value

        return {
            "rows": [plain(asdict(row)) for row in self.rows],
            "weighted_total": plain(self.weighted_total),
            "as_of": self.as_of.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scorecard:
        def number(value: Any) -> Decimal | None:
            return None if value is None else Decimal(value)

        rows = []
        for row in data.get("rows", []):
            quarters = [
                QuarterScore(
                    quarter=q["quarter"],
                    start=date.fromisoformat(q["start"]),
                    end=date.fromisoformat(q["end"]),
                    target=Decimal(q["target"]),
                    actual=number(q["actual"]),
                    attainment=number(q["attainment"]),
                    entered_by=q.get("entered_by", ""),
                    entered_at=q.get("entered_at", ""),
                )
                for q in row["quarters"]
            ]
            rows.append(
                ScoreRow(
                    target_id=row["target_id"],
                    measure=row["measure"],
                    label=frozen_label(row["measure"], row["label"]),
                    currency=row["currency"],
                    weight=Decimal(row["weight"]),
                    quarters=quarters,
                    target=Decimal(row["target"]),
                    actual=number(row["actual"]),
                    attainment=number(row["attainment"]),
                    detail={key: number(value) for key, value in row.get("detail", {}).items()},
                )
            )
        return cls(
            rows=rows,
            weighted_total=number(data.get("weighted_total")),
            as_of=date.fromisoformat(data["as_of"]),
            frozen=True,
        )


def frozen_label(measure: str, label: str) -> str:
    """A frozen row's name as its reader reads it. A target without a name of its own
    was frozen under its measure's name in the language of whoever closed the plan
    (the daily job: English); that name is worded again in the reader's language. A
    target's own name stays as written."""
    try:
        name = M(measure).label
    except ValueError:  # a measure since removed: the name as frozen
        return label
    with translation.override(settings.LANGUAGE_CODE):
        written = {str(name)}
    for code, _language in settings.LANGUAGES:
        with translation.override(code):
            written.add(str(name))
    return str(name) if label in written else label


def _kpi_actual(
    target: PlanTarget, totals: kpis.Totals
) -> tuple[Decimal | None, dict[str, Decimal | None]]:
    """The KPI module's figure for a target's measure over these totals."""
    if target.measure == M.MDF_UTILISATION:
        per_currency = kpis.mdf_utilisation(totals)
        values = list(per_currency.values())
        if len(values) == 1:
            return values[0], {}
        if not values:
            return None, {}
        return None, per_currency
    value = kpis.BY_NAME[target.measure].value(totals)
    if target.measure in PlanTarget.MONEY:
        return Decimal(value.get(target.currency, kpis.ZERO)), {}
    return Decimal(value), {}


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    known = [value for value in values if value is not None]
    return sum(known, Decimal(0)) if known else None


@dataclass
class _Reads:
    """What a live scorecard reads for its KPI targets, as (partner id, first day, last
    day) slices: each begun quarter to date, and for MDF utilisation the period to date
    with the MDF allocated for it."""

    quarters: dict[int, PartnerPeriod]
    period: PartnerPeriod | None


def _reads(plan: Plan, targets: list[PlanTarget], today: date) -> _Reads:
    measures = {target.measure for target in targets}
    if not measures - {M.CUSTOM}:
        return _Reads({}, None)
    quarters = period_quarters(plan.period)
    begun = {
        number: (plan.partner_id, start, min(end, today))
        for number, (start, end) in enumerate(quarters, start=1)
        if start <= today
    }
    period = None
    if M.MDF_UTILISATION in measures and begun:
        period = (plan.partner_id, quarters[0][0], min(quarters[-1][1], today))
    return _Reads(begun, period)


def _scorecard(
    plan: Plan,
    targets: list[PlanTarget],
    quarter_totals: dict[int, kpis.Totals],
    period_totals: kpis.Totals | None,
    today: date,
) -> Scorecard:
    """A live scorecard from the plan's targets and its quarters' (and period's) totals."""
    quarters = period_quarters(plan.period)
    rows = []
    for target in targets:
        scores = []
        detail: dict[str, Decimal | None] = {}
        for quarter in target.quarters.all():
            start, end = quarters[quarter.quarter - 1]
            entered_by = entered_at = ""
            if target.measure == M.CUSTOM:
                actual = quarter.actual
                if quarter.actual_entered_by is not None:
                    person = quarter.actual_entered_by
                    entered_by = person.get_full_name() or person.get_username()
                if quarter.actual_entered_at is not None:
                    entered_at = quarter.actual_entered_at.isoformat()
            elif quarter.quarter in quarter_totals:
                actual, _detail = _kpi_actual(target, quarter_totals[quarter.quarter])
            else:
                actual = None
            scores.append(
                QuarterScore(
                    quarter=quarter.quarter,
                    start=start,
                    end=end,
                    target=quarter.value,
                    actual=actual,
                    attainment=attainment(actual, quarter.value),
                    entered_by=entered_by,
                    entered_at=entered_at,
                )
            )
        if target.measure in RATE_MEASURES:
            values = [score.target for score in scores]
            total_target = (sum(values, Decimal(0)) / len(values)).quantize(CENT, ROUND_HALF_UP)
            total_actual, detail = (
                _kpi_actual(target, period_totals) if period_totals is not None else (None, {})
            )
        else:
            total_target = sum((score.target for score in scores), Decimal(0))
            total_actual = _sum(score.actual for score in scores)
        rows.append(
            ScoreRow(
                target_id=target.pk,
                measure=target.measure,
                label=target.name or str(target.get_measure_display()),
                currency=target.currency,
                weight=target.weight,
                quarters=scores,
                target=total_target,
                actual=total_actual,
                attainment=attainment(total_actual, total_target),
                detail=detail,
            )
        )
    scored = [row for row in rows if row.attainment is not None]
    weights = sum((row.weight for row in scored), Decimal(0))
    weighted_total = (
        (sum((row.weight * row.attainment for row in scored), Decimal(0)) / weights).quantize(  # type: ignore[operator]
            TENTH, ROUND_HALF_UP
        )
        if weights
        else None
    )
    return Scorecard(rows=rows, weighted_total=weighted_total, as_of=today)


def plan_scorecards(*, plans: Iterable[Plan], today: date | None = None) -> dict[int, Scorecard]:
    """The scorecards of many plans, {plan id: scorecard} (see `plan_scorecard`), read
    together: a list page runs the same number of queries whatever its number of plans
    (their targets in two, the KPIs' totals of every plan's quarters in two, the MDF
    allocated in one). Plans of several partners (staff pages) are read in the scope of
    those partners; the figures are each plan's own."""
    today = today or timezone.localdate()
    plans = list(plans)
    cards = {
        plan.pk: Scorecard.from_json(plan.scorecard)
        for plan in plans
        if plan.status == Plan.Status.CLOSED and plan.scorecard
    }
    live = [plan for plan in plans if plan.pk not in cards]
    if not live:
        return cards
    with scope(partner=sorted({plan.partner_id for plan in live})):
        targets = _targets(live)
        reads = {plan.pk: _reads(plan, targets[plan.pk], today) for plan in live}
        totals = analytics_selectors.partner_totals_by_period(
            periods=[key for read in reads.values() for key in read.quarters.values()]
            + [read.period for read in reads.values() if read.period is not None]
        )
        # MDF utilisation's denominator, for the plans with a target on it only.
        utilisation = {
            key
            for plan in live
            if any(target.measure == M.MDF_UTILISATION for target in targets[plan.pk])
            for key in [*reads[plan.pk].quarters.values(), reads[plan.pk].period]
            if key is not None
        }
        allocated = (
            analytics_selectors.partner_mdf_allocated_by_period(periods=utilisation)
            if utilisation
            else {}
        )

    def read(key: PartnerPeriod) -> kpis.Totals:
        if key in allocated:
            return replace(totals[key], mdf_allocated=allocated[key])
        return totals[key]

    for plan in live:
        plan_reads = reads[plan.pk]
        cards[plan.pk] = _scorecard(
            plan,
            targets[plan.pk],
            {number: read(key) for number, key in plan_reads.quarters.items()},
            read(plan_reads.period) if plan_reads.period is not None else None,
            today,
        )
    return cards


def plan_scorecard(*, plan: Plan, today: date | None = None) -> Scorecard:
    """The plan's scorecard (see `Scorecard`). A closed plan answers its frozen one.

    KPI targets: each quarter's actual is the KPI of `analytics.kpis` over
    `analytics.selectors.partner_totals` for the partner and that quarter (to date for
    the current quarter; None for a quarter not begun). Pipeline and revenue in the
    target's currency. MDF utilisation is a rate: the period's is computed over the
    period (not summed), against the mean of its quarterly targets. Custom targets: the
    actuals as entered. A fixed number of queries, not one per target or quarter: the
    same reads as a list of plans (`plan_scorecards`)."""
    return plan_scorecards(plans=[plan], today=today)[plan.pk]


# --- budget and results -----------------------------------------------------------------


@dataclass
class BudgetLine:
    """Per currency: the activities' budget, and the MDF their fund requests asked
    for, were approved and spent (activity cost requested and approved; fund money
    spent by approved claims), each fund request counted once."""

    currency: str
    budget: Decimal = Decimal("0.00")
    requested: Decimal = Decimal("0.00")
    approved: Decimal = Decimal("0.00")
    spent: Decimal = Decimal("0.00")


def plan_budget(*, plan: Plan) -> dict[str, BudgetLine]:
    """The plan's budget against MDF, per currency (never added across currencies)."""
    lines: dict[str, BudgetLine] = {}
    seen: set[int] = set()
    for activity in plan_activities(plan=plan):
        line = lines.setdefault(activity.currency, BudgetLine(activity.currency))
        line.budget += activity.budget
    with scope(partner=plan.partner_id):
        from mdf.models import FundRequest

        requests = FundRequest.objects.filter(plan_activities__plan=plan).select_related(
            "allocation__pool"
        )
        for request in requests.order_by("pk"):
            if request.pk in seen:
                continue
            seen.add(request.pk)
            currency = request.allocation.pool.currency
            line = lines.setdefault(currency, BudgetLine(currency))
            line.requested += request.requested_amount
            line.approved += request.approved_amount
            line.spent += request.commitment_spent
    return dict(sorted(lines.items()))


def activity_results(*, plan: Plan) -> dict[int, LaunchResults]:
    """Each activity's results through its launch ({activity id: results}); activities
    without a launch are absent. One query for all."""
    with scope(partner=plan.partner_id):
        pairs = list(
            PlanActivity.objects.filter(plan=plan, launch__isnull=False).values_list(
                "pk", "launch_id"
            )
        )
        results = launch_results(
            partner=plan.partner, launch_ids={launch_id for _pk, launch_id in pairs}
        )
    return {pk: results[launch_id] for pk, launch_id in pairs}


# --- revisions --------------------------------------------------------------------------


def plan_revisions(*, plan: Plan) -> list[PlanRevision]:
    """The plan's frozen revisions, the newest first, with who submitted and decided."""
    with scope(partner=plan.partner_id):
        return list(
            PlanRevision.objects.filter(plan=plan)
            .select_related("submitted_by", "decided_by")
            .order_by("-number")
        )


@dataclass
class CompareRow:
    """One line of a side-by-side: which part ("plan", "target", "activity"), its name,
    the field, the older and the newer value ("" where absent) and whether it changed."""

    section: str
    name: str
    field: str
    older: str
    newer: str

    @property
    def changed(self) -> bool:
        return self.older != self.newer


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " · ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in sorted(value.items()))
    return "" if value is None else str(value)


def _items(content: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    return {item["key"]: item for item in content.get(section, [])}


def revision_compare(*, older: PlanRevision, newer: PlanRevision) -> list[CompareRow]:
    """Side by side, field by field: the plan's own fields, then each target and each
    activity (matched across revisions; one only in either side shows empty on the
    other). Unchanged fields are included: callers may show only `changed` rows."""
    old = json.loads(older.content)
    new = json.loads(newer.content)
    rows = [
        CompareRow("plan", "", name, _text(old.get(name)), _text(new.get(name)))
        for name in ("title", "objectives")
    ]
    for section, kind, label in (
        ("targets", "target", lambda item: item.get("name") or M(item["measure"]).label),
        ("activities", "activity", lambda item: item.get("title", "")),
    ):
        before, after = _items(old, section), _items(new, section)
        for key in [*before, *(key for key in after if key not in before)]:
            a, b = before.get(key, {}), after.get(key, {})
            name = str(label(b or a))
            for name_of_field in sorted((set(a) | set(b)) - {"key"}):
                rows.append(
                    CompareRow(
                        kind,
                        name,
                        name_of_field,
                        _text(a.get(name_of_field)),
                        _text(b.get(name_of_field)),
                    )
                )
    return rows

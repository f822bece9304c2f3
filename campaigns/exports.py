"""Downloads of a joint marketing plan, for the staff pages and the portal alike:

- `plan_pdf`: the plan and its scorecard as a PDF for the partner's leadership (who
  agreed to what, how far the targets are met, what is being done and what it costs);
- `plan_csv`: its targets (one row per quarter) and activities as plain numbers.

Both read the plan through `campaigns.selectors` (the scorecard, the budget against
MDF), so a download says what the plan's page says. Callers check access first: these
take a plan the caller may see.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scope

from assets.cobranding import reportlab_fonts
from campaigns import selectors
from campaigns.models import Plan, PlanActivity, PlanTarget
from config.csv_export import csv_response
from mdf.money import format_money, format_number

DASH = "—"


def plan_filename(plan: Plan) -> str:
    """plan-<partner>-<period>, without the extension."""
    return f"plan-{plan.partner.slug}-{slugify(plan.period.name) or plan.period.pk}"


def format_figure(value: Decimal | None, measure: str, currency: str) -> str:
    """A target or an actual as people read it: 1,250 · 12,500.00 EUR · 42.0 %."""
    if value is None:
        return DASH
    if measure in PlanTarget.MONEY:
        return format_money(value, currency)
    if measure == PlanTarget.Measure.MDF_UTILISATION:
        return f"{format_number(value, 1)} %"
    if value == value.to_integral_value():
        return format_number(value)
    return format_number(value, 2)


def format_percent(value: Decimal | None) -> str:
    return DASH if value is None else f"{format_number(value, 1)} %"


def _plain(value: Any) -> str:
    """A number for a CSV cell: plain digits, no grouping; empty for none."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _day(value: Any) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def _moment(value: Any) -> str:
    if not value:
        return ""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _person(user: Any) -> str:
    if user is None:
        return _("the system")
    return user.get_full_name() or user.get_username()


def plan_activities(plan: Plan) -> list[PlanActivity]:
    """The plan's activities (`selectors.plan_activities`), with the pool of each fund
    request: its MDF amounts are in the pool's currency (two queries for all)."""
    activities = selectors.plan_activities(plan=plan)
    with scope(partner=plan.partner_id):
        prefetch_related_objects(activities, "fund_request__allocation__pool")
    return activities


# --- CSV --------------------------------------------------------------------------------

CSV_HEADER = [
    "record",
    "name",
    "measure",
    "currency",
    "weight",
    "quarter",
    "quarter_start",
    "quarter_end",
    "target",
    "actual",
    "attainment_percent",
    "activity_type",
    "owner_side",
    "start_date",
    "end_date",
    "status",
    "budget",
    "kit",
    "launch",
    "fund_request",
    "mdf_currency",
    "mdf_requested",
    "mdf_approved",
]


def _csv_rows(plan: Plan) -> Iterator[list[Any]]:
    scorecard = selectors.plan_scorecard(plan=plan)
    for row in scorecard.rows:
        for quarter in row.quarters:
            yield [
                "target",
                row.label,
                row.measure,
                row.currency,
                _plain(row.weight),
                quarter.quarter,
                quarter.start.isoformat(),
                quarter.end.isoformat(),
                _plain(quarter.target),
                _plain(quarter.actual),
                _plain(quarter.attainment),
                *[""] * 12,
            ]
        # The period as a whole (a rate's is over the period, not a sum of quarters).
        yield [
            "target_total",
            row.label,
            row.measure,
            row.currency,
            _plain(row.weight),
            "",
            plan.period.start.isoformat(),
            plan.period.end.isoformat(),
            _plain(row.target),
            _plain(row.actual),
            _plain(row.attainment),
            *[""] * 12,
        ]
    yield [
        "weighted_total",
        "",
        "",
        "",
        "",
        "",
        plan.period.start.isoformat(),
        plan.period.end.isoformat(),
        "",
        "",
        _plain(scorecard.weighted_total),
        *[""] * 12,
    ]
    for activity in plan_activities(plan):
        fund_request = activity.fund_request
        yield [
            "activity",
            activity.title,
            "",
            activity.currency,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            activity.activity_type.name,
            activity.owner_side,
            activity.start_date.isoformat(),
            activity.end_date.isoformat(),
            activity.status,
            _plain(activity.budget),
            activity.kit.name if activity.kit else "",
            activity.launch.code if activity.launch else "",
            str(fund_request.uuid) if fund_request else "",
            fund_request.allocation.pool.currency if fund_request else "",
            _plain(fund_request.requested_amount) if fund_request else "",
            # Approved exists once decided (0.00 before would read as "approved nothing").
            _plain(fund_request.approved_amount)
            if fund_request and fund_request.decided_at
            else "",
        ]


def plan_csv(plan: Plan) -> StreamingHttpResponse:
    """The plan's targets (a row per quarter, a total row per target, the weighted total)
    and its activities, as one CSV of plain numbers and ISO dates (`record` says which)."""
    # Rows are read now, while the caller's scope is open, not when the response streams.
    rows = list(_csv_rows(plan))
    return csv_response(plan_filename(plan), CSV_HEADER, rows)


# --- PDF --------------------------------------------------------------------------------


def _status_line(plan: Plan) -> str:
    status = str(plan.get_status_display())
    parts = [
        _("Status: %(status)s, revision %(revision)s")
        % {
            "status": status,
            "revision": plan.revision,
        }
    ]
    if plan.approved_at is not None:
        parts.append(
            _("approved by %(who)s on %(when)s")
            % {"who": _person(plan.approved_by), "when": _moment(plan.approved_at)}
        )
    if plan.closed_at is not None:
        parts.append(
            _("closed by %(who)s on %(when)s")
            % {"who": _person(plan.closed_by), "when": _moment(plan.closed_at)}
        )
    return "; ".join(parts)


def _attainment_chart(rows: list[Any], width: float, font: str) -> Any:
    """Bars of attainment per target, with the 100 % line; None when nothing is scored."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, Line, String
    from reportlab.lib import colors

    scored = [row for row in rows if row.attainment is not None]
    if not scored:
        return None
    bar = 16
    height = len(scored) * (bar + 8) + 40
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 24
    chart.width, chart.height = width - 190, height - 40
    values = [float(row.attainment) for row in reversed(scored)]
    chart.data = [values]
    chart.categoryAxis.categoryNames = [row.label[:30] for row in reversed(scored)]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    top = max(120.0, max(values) * 1.1)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.labelTextFormat = "%d %%"
    chart.bars[0].fillColor = colors.HexColor("#1d5f8a")
    chart.barLabelFormat = "%.1f %%"
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    hundred = chart.x + chart.width * 100 / top
    drawing.add(
        Line(
            hundred,
            chart.y,
            hundred,
            chart.y + chart.height,
            strokeColor=colors.HexColor("#ba2121"),
            strokeDashArray=[3, 2],
        )
    )
    drawing.add(String(hundred + 2, chart.y + chart.height + 4, "100 %", fontName=font, fontSize=7))
    return drawing


def plan_pdf(plan: Plan) -> bytes:
    """The plan for the partner's leadership: title, partner, period, status and
    approval, objectives, the scorecard (each target per quarter, actual, attainment,
    the weighted total) with a chart of attainment, the activities with their budget
    and MDF, and the budget against MDF per currency. A4 landscape."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    # The co-branding's fonts: accented partner names render, text stays extractable.
    regular, bold = reportlab_fonts()
    styles = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=styles["BodyText"], fontName=regular, fontSize=9.5, leading=13
    )
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=10)
    number = ParagraphStyle("number", parent=cell, alignment=TA_RIGHT)
    title = ParagraphStyle(
        "title",
        parent=styles["Title"],
        fontName=bold,
        fontSize=20,
        leading=24,
        alignment=0,
        spaceAfter=4,
    )
    heading = ParagraphStyle(
        "heading",
        parent=styles["Heading2"],
        fontName=bold,
        fontSize=13,
        leading=16,
        spaceBefore=10,
        spaceAfter=6,
        keepWithNext=1,
    )
    head_cell = ParagraphStyle("head", parent=cell, fontName=bold, textColor=colors.white)
    head_number = ParagraphStyle("headnum", parent=head_cell, alignment=TA_RIGHT)

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    def table(rows: list[list[Any]], widths: list[float], numeric_from: int) -> Table:
        shown = [
            [
                p(
                    value,
                    (head_number if i >= numeric_from else head_cell)
                    if r == 0
                    else (number if i >= numeric_from else cell),
                )
                if not isinstance(value, Paragraph)
                else value
                for i, value in enumerate(row)
            ]
            for r, row in enumerate(rows)
        ]
        result = Table(shown, colWidths=widths, repeatRows=1, hAlign="LEFT")
        result.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#264b5d")),
                    (
                        "ROWBACKGROUNDS",
                        (0, 1),
                        (-1, -1),
                        [colors.white, colors.HexColor("#f2f5f7")],
                    ),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8d1d8")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return result

    scorecard = selectors.plan_scorecard(plan=plan)
    budget = selectors.plan_budget(plan=plan)
    activities = plan_activities(plan)
    period = plan.period
    page_width = landscape(A4)[0] - 30 * mm

    story: list[Any] = [
        p(plan.title, title),
        p(
            _("Joint marketing plan of %(partner)s · %(period)s (%(start)s – %(end)s)")
            % {
                "partner": plan.partner.name,
                "period": period.name,
                "start": _day(period.start),
                "end": _day(period.end),
            },
            ParagraphStyle("sub", parent=body, fontSize=11, leading=14),
        ),
        p(_status_line(plan)),
        Spacer(1, 4 * mm),
        p(_("Objectives"), heading),
        p(plan.objectives or DASH),
    ]

    # Scorecard: a column pair (target, actual) per quarter, then the period.
    quarter_count = period.quarter_count
    header = [_("Target"), _("Weight")]
    for number_ in range(1, quarter_count + 1):
        header += [_("Q%(n)d target") % {"n": number_}, _("Q%(n)d actual") % {"n": number_}]
    header += [_("Period target"), _("Period actual"), _("Attainment")]
    rows: list[list[Any]] = [header]
    for row in scorecard.rows:
        line = [row.label, _plain(row.weight.normalize())]
        for quarter in row.quarters:
            actual = format_figure(quarter.actual, row.measure, row.currency)
            if quarter.attainment is not None:
                actual += f"\n{format_percent(quarter.attainment)}"
            line += [format_figure(quarter.target, row.measure, row.currency), actual]
        line += [
            format_figure(row.target, row.measure, row.currency),
            format_figure(row.actual, row.measure, row.currency),
            format_percent(row.attainment),
        ]
        rows.append(line)
    label_width = 55 * mm
    rest = (page_width - label_width - 16 * mm) / (len(header) - 2)
    story += [p(_("Scorecard"), heading)]
    if scorecard.rows:
        story.append(table(rows, [label_width, 16 * mm] + [rest] * (len(header) - 2), 1))
    else:
        story.append(p(_("No targets yet.")))
    as_of = (
        _("frozen when the plan closed")
        if scorecard.frozen
        else _("as of %(day)s") % {"day": _day(scorecard.as_of)}
    )
    story += [
        Spacer(1, 2 * mm),
        p(
            _(
                "Weighted attainment: %(total)s (%(as_of)s). Attainment is the actual against "
                "the target; a target of zero or an actual not known yet has none (—) and "
                "does not count in the weighted total."
            )
            % {"total": format_percent(scorecard.weighted_total), "as_of": as_of},
            small,
        ),
    ]
    chart = _attainment_chart(scorecard.rows, page_width, regular)
    if chart is not None:
        story.append(KeepTogether([p(_("Attainment per target"), heading), chart]))

    story.append(p(_("Activities"), heading))
    if activities:
        rows = [
            [
                _("Activity"),
                _("Type"),
                _("Owner"),
                _("Dates"),
                _("Status"),
                _("Budget"),
                _("MDF requested"),
                _("MDF approved"),
            ]
        ]
        for activity in activities:
            fund_request = activity.fund_request
            currency = fund_request.allocation.pool.currency if fund_request else ""
            rows.append(
                [
                    activity.title,
                    activity.activity_type.name,
                    activity.get_owner_side_display(),
                    f"{_day(activity.start_date)} – {_day(activity.end_date)}",
                    activity.get_status_display(),
                    format_money(activity.budget, activity.currency),
                    format_money(fund_request.requested_amount, currency) if fund_request else DASH,
                    format_money(fund_request.approved_amount, currency)
                    if fund_request and fund_request.decided_at
                    else DASH,
                ]
            )
        widths = [62 * mm, 30 * mm, 18 * mm, 48 * mm, 22 * mm]
        money_width = (page_width - sum(widths)) / 3
        story.append(table(rows, widths + [money_width] * 3, 5))
    else:
        story.append(p(_("No activities yet.")))

    if budget:
        story.append(p(_("Budget against MDF"), heading))
        rows = [
            [
                _("Currency"),
                _("Activities' budget"),
                _("MDF requested"),
                _("MDF approved"),
                _("MDF spent"),
            ]
        ]
        for currency, line in budget.items():
            rows.append(
                [
                    currency,
                    format_money(line.budget, currency),
                    format_money(line.requested, currency),
                    format_money(line.approved, currency),
                    format_money(line.spent, currency),
                ]
            )
        story.append(table(rows, [30 * mm] + [45 * mm] * 4, 1))

    generated = _("Generated %(when)s by PartnerHub") % {"when": _moment(timezone.now())}

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.HexColor("#6c757d"))
        canvas.drawString(15 * mm, 8 * mm, f"{plan.partner.name} · {period.name} · {generated}")
        canvas.drawRightString(
            landscape(A4)[0] - 15 * mm, 8 * mm, _("Page %(n)d") % {"n": doc.page}
        )
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"{plan.title} · {plan.partner.name}",
        author="PartnerHub",
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()

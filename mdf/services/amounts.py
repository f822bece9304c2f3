"""Amounts as the MDF services take them: parsed into Decimal cents, checked against
the fund's share, and the messages that say what is available."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mdf.models import ZERO, FundPool
from mdf.money import format_money, format_percentage, fund_share, to_money


def parse_amount(value: object, *, field: str) -> Decimal:
    """An amount in cents (`mdf.money.to_money`); a field error naming `field` if not."""
    try:
        return to_money(value, field=field)
    except ValueError as exc:
        raise ValidationError({field: str(exc)}) from None


def check_share(cost: Decimal, pool: FundPool, field: str) -> Decimal:
    """The fund's share of an activity cost (the pool's percentage of it), refused when
    it rounds to nothing."""
    share = fund_share(cost, pool.reimbursement_percentage)
    if share <= ZERO:
        raise ValidationError(
            {
                field: _("The fund's %(pct)s %% share of this amount rounds to nothing.")
                % {"pct": pool.reimbursement_percentage}
            }
        )
    return share


def not_available_message(share: Decimal, available: Decimal, pool: FundPool) -> str:
    """Why a share does not fit. What is checked is the fund's share, not the cost: when
    the fund pays less than all of it, the message says what the fund would pay."""
    if pool.reimbursement_percentage == Decimal(100):
        return _("More than is available (available: %(available)s).") % {
            "available": format_money(available, pool.currency)
        }
    return _("The fund would pay %(share)s at %(pct)s; available: %(available)s") % {
        "share": format_money(share, pool.currency),
        "pct": format_percentage(pool.reimbursement_percentage),
        "available": format_money(available, pool.currency),
    }

"""Money arithmetic: one quantize helper with explicit rounding, and formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_money(value: object, *, field: str = "amount") -> Decimal:
    """Parse an amount: a Decimal (or its string) with at most two decimals, > 0.

    Raises ValueError with a message naming the problem; callers turn it into a
    field error. Floats are refused: they cannot represent cents exactly.
    """
    if isinstance(value, float):
        raise ValueError("Amounts must be decimal strings, not floating-point numbers.")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError("Enter an amount like 1250.00.") from None
    if not amount.is_finite():
        raise ValueError("Enter an amount like 1250.00.")
    if amount != amount.quantize(CENT):
        raise ValueError("Amounts have at most two decimals (cents).")
    if amount <= 0:
        raise ValueError("The amount must be greater than zero.")
    return amount.quantize(CENT)


def fund_share(cost: Decimal, percentage: Decimal) -> Decimal:
    """The fund's part of an activity cost: cost × percentage / 100, rounded half-up
    to the cent (e.g. 33.33 % of 100.01 = 33.333333 → 33.33; 50 % of 0.05 → 0.03)."""
    return (cost * percentage / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    """1250 → '1,250.00 EUR'."""
    return f"{amount.quantize(CENT):,.2f} {currency}"

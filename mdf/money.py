"""Money arithmetic: parsing amounts, rounding to the cent, the fund's share, and
the one way amounts are shown to people ("3,200.00 USD")."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_currency, format_decimal, parse_decimal
from django.conf import settings
from django.utils.translation import get_language, to_locale

CENT = Decimal("0.01")
# The largest amount a DecimalField(max_digits=14, decimal_places=2) holds.
MAX_AMOUNT = Decimal("999999999999.99")
THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def to_money(value: object, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Parse an amount: a Decimal (or its string) with at most two decimals, > 0
    (≥ 0 with `allow_zero`: a result event may report a zero-value opportunity).

    Raises ValueError with a message naming the problem; callers turn it into a
    field error. Floats are refused: they cannot represent cents exactly.
    """
    if isinstance(value, float):
        raise ValueError("Amounts must be decimal strings, not floating-point numbers.")
    text = str(value).strip()
    if "," in text:
        # "1,250.00" is a thousands separator; "12,5" is a decimal comma we must not
        # silently read as 125.
        if not THOUSANDS.fullmatch(text):
            raise ValueError("Use a point for decimals, like 1250.50.")
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValueError("Enter an amount like 1250.00.") from None
    if not amount.is_finite():
        raise ValueError("Enter an amount like 1250.00.")
    if amount < 0 and allow_zero:
        raise ValueError("The amount cannot be negative.")
    if amount <= 0 and not allow_zero:
        raise ValueError("The amount must be greater than zero.")
    if amount > MAX_AMOUNT:
        raise ValueError(f"The amount is at most {MAX_AMOUNT:,}.")
    # Checked after the bounds: quantizing an enormous exponent would raise.
    if amount != amount.quantize(CENT):
        raise ValueError("Amounts have at most two decimals (cents).")
    return amount.quantize(CENT)


def cents(value: object) -> Decimal:
    """An amount the database summed or stored, as Decimal cents. SQLite keeps decimals
    as binary floats and sums to int or float, and an empty sum is None (zero): every
    amount is whole cents, so this rounds off float noise and hides no real difference."""
    return Decimal(str(value or 0)).quantize(CENT)


def fund_share(cost: Decimal, percentage: Decimal) -> Decimal:
    """The fund's part of an activity cost: cost × percentage / 100, rounded half-up
    to the cent (e.g. 33.33 % of 100.01 = 33.333333 → 33.33; 50 % of 0.05 → 0.03)."""
    return (cost * percentage / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def reader_locale() -> str:
    """The Babel locale of the language being rendered ("de", "pt_BR")."""
    return to_locale(get_language() or settings.LANGUAGE_CODE)


def format_money(amount: Decimal, currency: str) -> str:
    """An amount as its reader's language writes it, always with two decimals:
    '1,250.00 EUR' in English (the code, not a symbol: "$" is several currencies for
    an English-speaking audience), the language's own currency format elsewhere (CLDR
    by way of Babel): '1.250,00 €' in German, '1 250,00 €' in French, 'R$ 1.250,00' in
    Brazilian Portuguese. CSV exports and the API keep plain numbers."""
    amount = amount.quantize(CENT)
    if get_language() in (None, "en"):
        return f"{amount:,.2f} {currency}"
    return format_currency(amount, currency, locale=reader_locale(), currency_digits=False)


def format_number(value: Decimal | int | float, places: int = 0) -> str:
    """A figure grouped and with `places` decimals as its reader's language writes it:
    '1,234.5' in English, '1.234,5' in German, '1 234,5' in French."""
    if get_language() in (None, "en"):
        # The same text as Babel's English, without its cost on long tables.
        return f"{value:,.{places}f}"
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=reader_locale())


def format_percentage(percentage: Decimal) -> str:
    """A pool's reimbursement percentage as people write it: 50.00 → '50 %',
    33.33 → '33.33 %'."""
    return f"{percentage.normalize():f} %"


def known_currency(code: object) -> str:
    """An ISO 4217 currency code ("EUR"), upper-cased; ValueError for anything else.

    The list is Babel's (the Unicode CLDR's), so a new currency arrives with an upgrade
    of Babel, not an edit here.
    """
    from babel.numbers import list_currencies

    text = str(code or "").strip().upper()
    if len(text) != 3 or text not in list_currencies():
        raise ValueError("Use a three-letter ISO 4217 currency code, like EUR or USD.")
    return text


# Spaces people or the locale put between thousands (a space, a no-break space, the
# narrow no-break space French writes): never part of an amount's value.
_SPACES = str.maketrans("", "", " \u00a0\u202f")


def amount_parse(text: str) -> Decimal:
    """An amount as its reader's language writes it: "1,250.50" or "1250.50" in English,
    "1.250,50" or "1250,50" in German, "1 250,50" in French. Read strictly (CLDR by way
    of Babel): a separator in the wrong place is an error, never a guess, so "1250.50"
    typed in German (where "." separates thousands) is refused rather than read as
    125050. Raises ValueError."""
    try:
        return parse_decimal(text.translate(_SPACES), locale=reader_locale(), strict=True)
    except NumberFormatError:
        raise ValueError(text) from None


def amount_example(amount: Decimal = Decimal("1250.50")) -> str:
    """An amount as the reader's language writes it in a message, with thousands
    separators: "1,250.50" (English), "1.250,50" (German)."""
    return format_decimal(amount, format="#,##0.00", locale=reader_locale())


def amount_input_value(amount: Decimal) -> str:
    """An amount to put back in an input, as the reader writes it and `amount_parse`
    reads it, without thousands separators: "1250.50", "1250,50"."""
    return format_decimal(amount.quantize(CENT), format="0.00", locale=reader_locale())

"""The input of a deal registration: `DealInput` (the fields as entered),
`normalise_domain`, and the checks of each field (`clean_fields`), shared by
`deal_register` and `deal_update` (deals/services/registration.py, which re-exports
the public names).

Every check reports at its field, all at once: `ValidationError({field: [...]})`.
A launch is looked up among the partner's own only, so another partner's tracking code
reads exactly like an unknown one ("No such launch.").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext as _
from django_scopes import scope

from campaigns.models import Launch
from deals.models import Deal, Product
from mdf import clock
from mdf.money import known_currency, to_money
from partners.selectors import is_country

__all__ = [
    "INPUT_FIELDS",
    "DealInput",
    "clean_fields",
    "duplicate_error",
    "normalise_domain",
    "required_text",
]

MAX_COMPANY = 200
MAX_DOMAIN = 253
MAX_CONTACT = 120
MAX_TEXT = 5000


# The fields `deal_update` may change (the registration's own fields).
INPUT_FIELDS = (
    "company",
    "domain",
    "country",
    "products",
    "amount",
    "currency",
    "expected_close_date",
    "stage",
    "notes",
    "contact_name",
    "contact_email",
    "launch",
)


# How the "changed" event names a field: the model's own labels.


@dataclass
class DealInput:
    """The fields of a registration as entered (portal form, API body, a converted lead).

    `products` are products, their ids or their slugs; `launch` is the tracking code of one of the
    partner's own launches ("" for none). Values are parsed and checked by the
    services, not here.
    """

    company: str
    domain: str
    country: str
    products: Sequence[int | str | Product]
    amount: Decimal | str
    currency: str
    expected_close_date: date | None
    stage: str = Deal.Stage.PROSPECTING
    notes: str = ""
    contact_name: str = ""
    contact_email: str = ""
    launch: str = ""


# --- input ------------------------------------------------------------------------------


def normalise_domain(value: str) -> str:
    """A customer's web domain as stored: lower case, ASCII (IDNA) form, no scheme,
    path, port or leading "www.". "https://www.Müller.de/shop" → "xn--mller-kva.de".

    Raises ValidationError({"domain": ...}) for anything that is not a domain name.
    """
    text = str(value or "").strip().lower()
    message = _("Enter the customer's web domain, like example.com.")
    if not text or "@" in text or " " in text:
        raise ValidationError({"domain": message})
    if "://" in text:
        text = text.split("://", 1)[1]
    elif text.startswith("//"):
        text = text[2:]
    for separator in ("/", "?", "#"):
        text = text.split(separator, 1)[0]
    text = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    text = text.rstrip(".").removeprefix("www.")
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError({"domain": message}) from None
    labels = ascii_name.split(".")
    if (
        len(ascii_name) > MAX_DOMAIN
        or len(labels) < 2
        or not all(_is_label(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValidationError({"domain": message})
    return ascii_name


def _is_label(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and not label.startswith("-")
        and not label.endswith("-")
        and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in label)
    )


def _text(
    errors: dict[str, list[str]], name: str, value: object, limit: int, *, required: bool
) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors.setdefault(name, []).append(_("This field is required."))
    elif len(text) > limit:
        errors.setdefault(name, []).append(
            _("At most %(limit)s characters.") % {"limit": f"{limit:,}"}
        )
    return text


def _products(
    errors: dict[str, list[str]], values: Iterable[int | str | Product], keep: set[int]
) -> list:
    """The products named (as rows, ids or slugs): offered ones, or ones the deal
    already has."""
    wanted: list[int | str] = [
        value.pk if isinstance(value, Product) else value for value in values if str(value).strip()
    ]
    if not wanted:
        errors.setdefault("products", []).append(_("Choose at least one product."))
        return []
    ids = {int(v) for v in wanted if isinstance(v, int) or v.strip().isdigit()}
    slugs = {v.strip() for v in wanted if isinstance(v, str) and not v.strip().isdigit()}
    found = list(
        Product.objects.filter(Q(pk__in=ids) | Q(slug__in=slugs)).filter(
            Q(active=True) | Q(pk__in=keep)
        )
    )
    if {p.pk for p in found} >= ids and {p.slug for p in found} >= slugs:
        return found
    errors.setdefault("products", []).append(_("Choose products from the list."))
    return []


def _launch(errors: dict[str, list[str]], partner_id: int, code: object) -> Launch | None:
    """One of the partner's own launches by tracking code; another partner's code reads
    exactly like one that does not exist."""
    text = str(code or "").strip()
    if not text:
        return None
    with scope(partner=partner_id):
        launch = Launch.objects.filter(partner_id=partner_id, code=text).first()
    if launch is None:
        errors.setdefault("launch", []).append(_("No such launch."))
    return launch


def clean_fields(
    *, partner_id: int, values: dict[str, Any], deal: Deal | None = None
) -> dict[str, Any]:
    """Parse and check registration fields (all of them for a new deal, the given ones
    for an edit); raise every error at once, keyed by field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name == "company":
            clean[name] = _text(errors, name, value, MAX_COMPANY, required=True)
        elif name == "domain":
            try:
                clean[name] = normalise_domain(value)
            except ValidationError as error:
                errors.setdefault(name, []).extend(error.message_dict["domain"])
        elif name == "country":
            code = str(value or "").strip().upper()
            if not is_country(code):
                errors.setdefault(name, []).append(_("Choose a country from the list."))
            clean[name] = code
        elif name == "products":
            keep = set(deal.products.values_list("pk", flat=True)) if deal else set()
            if isinstance(value, str | int):
                value = [value]
            clean[name] = _products(errors, value or [], keep)
        elif name == "amount":
            try:
                clean[name] = to_money(value, allow_zero=True)
            except ValueError as error:
                errors.setdefault(name, []).append(str(error))
        elif name == "currency":
            try:
                clean[name] = known_currency(value)
            except ValueError as error:
                errors.setdefault(name, []).append(str(error))
        elif name == "expected_close_date":
            if isinstance(value, str):
                try:
                    value = date.fromisoformat(value.strip())
                except ValueError:
                    value = None
            if not isinstance(value, date) or isinstance(value, datetime):
                errors.setdefault(name, []).append(_("Enter a date."))
            elif value < clock.today() and (deal is None or value != deal.expected_close_date):
                errors.setdefault(name, []).append(_("The close date cannot be in the past."))
            else:
                clean[name] = value
        elif name == "stage":
            if value not in Deal.Stage.values:
                errors.setdefault(name, []).append(_("Choose a stage from the list."))
            clean[name] = value
        elif name == "notes":
            clean[name] = _text(errors, name, value, MAX_TEXT, required=False)
        elif name == "contact_name":
            clean[name] = _text(errors, name, value, MAX_CONTACT, required=False)
        elif name == "contact_email":
            email = _text(errors, name, value, 254, required=False)
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    errors.setdefault(name, []).append(_("Enter a valid email address."))
            clean[name] = email
        elif name == "launch":
            clean[name] = _launch(errors, partner_id, value)
        else:
            errors.setdefault(name, []).append(_("This field cannot be changed here."))
    if errors:
        raise ValidationError(errors)
    return clean


def required_text(name: str, value: object, limit: int = MAX_TEXT) -> str:
    errors: dict[str, list[str]] = {}
    text = _text(errors, name, value, limit, required=True)
    if errors:
        raise ValidationError(errors)
    return text


def duplicate_error() -> ValidationError:
    """A second open registration of a domain by the same partner (its own data: this
    says nothing of other partners)."""
    return ValidationError(
        {"domain": _("You already have an open registration for this customer's domain.")}
    )

"""Writes of the vendor's protected accounts, one at a time (the API's; the admin's CSV
import adds many at once). A registration of a protected domain is flagged to staff
(`registration._flag_conflicts`); the partner never learns of it.

Staff only. Each write is one transaction that records who did it in the admin's own
history (`LogEntry`), where staff look for who changed the program's rows.
"""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from deals.models import ProtectedAccount
from deals.services.deal_input import normalise_domain
from partners.selectors import is_country

__all__ = ["protected_account_add", "protected_account_remove"]

MAX_COMPANY = 200
MAX_NOTE = 300


def _require_staff(actor: User | AnonymousUser) -> None:
    # A staff API key's own user is inactive (it never logs in) but is staff.
    if not actor.is_authenticated or not actor.is_staff:
        raise PermissionDenied(_("Only staff keep the protected accounts."))


def _log(actor: User, account: ProtectedAccount, flag: int, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[account],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


def protected_account_add(
    *, actor: User, domain: str, company: str, country: str = "", note: str = ""
) -> ProtectedAccount:
    """Protect one customer's domain for the vendor's own sales team.

    Rules:
    - by staff (a person or a staff API key's own user);
    - the domain normalised as registrations' are (`normalise_domain`), protected once
      (the unique constraint decides between two at once): else an error on "domain";
    - a company (at most 200 characters); a country ISO 3166 alpha-2 or none; a note
      of at most 300 characters;
    - who added it is recorded on the row and in the admin's history.
    """
    _require_staff(actor)
    errors: dict[str, str] = {}
    try:
        clean_domain = normalise_domain(domain)
    except ValidationError as exc:
        errors.update({field: msgs[0] for field, msgs in exc.message_dict.items()})
        clean_domain = ""
    name = (company or "").replace("\x00", "").strip()
    if not name:
        errors["company"] = _("Name the customer's company.")
    elif len(name) > MAX_COMPANY:
        errors["company"] = _("At most %(limit)d characters.") % {"limit": MAX_COMPANY}
    code = (country or "").strip().upper()
    if code and not is_country(code):
        errors["country"] = _("Enter a country's two-letter ISO code, like DE.")
    text = (note or "").replace("\x00", "").strip()
    if len(text) > MAX_NOTE:
        errors["note"] = _("At most %(limit)d characters.") % {"limit": MAX_NOTE}
    if errors:
        raise ValidationError(errors)
    taken = ValidationError({"domain": _("This domain is already a protected account.")})
    with transaction.atomic():
        if ProtectedAccount.objects.filter(domain=clean_domain).exists():
            raise taken
        try:
            with transaction.atomic():  # a savepoint: the unique constraint's verdict
                account = ProtectedAccount.objects.create(
                    domain=clean_domain, company=name, country=code, note=text, added_by=actor
                )
        except IntegrityError:
            raise taken from None
        _log(actor, account, ADDITION, "Added through the API.")
    return account


def protected_account_remove(*, account: ProtectedAccount, actor: User) -> None:
    """Stop protecting a domain.

    Rules: by staff; registrations flagged before keep their conflict (its
    `protected_account` becomes empty, the kind stays); recorded in the admin's history.
    """
    _require_staff(actor)
    with transaction.atomic():
        locked = (
            ProtectedAccount.objects.select_for_update(of=("self",)).filter(pk=account.pk).first()
        )
        if locked is None:
            return  # removed meanwhile: nothing left to do
        _log(actor, locked, DELETION, "Removed through the API.")
        locked.delete()

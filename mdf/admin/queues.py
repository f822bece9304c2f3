"""What the request and claim queues share: the "awaiting my decision" filter, the
decision form (approve, approve partly, reject …), the history inline, and the
decision trail itself, read-only.

The queues are `request_queue.py` (channel managers, marketing admins, finance above
a pool's threshold) and `claim_queue.py` (finance approvers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mdf.admin.common import ReadOnlyAdmin, ReadOnlyInline, money_column
from mdf.models import MDFEvent

# Shown to someone who opens the decision page of what they submitted themselves.
OWN_SUBMISSION = _("You submitted this; another person must decide it.")


class AwaitingMyDecisionFilter(admin.SimpleListFilter):
    """The queue: by default only what awaits the logged-in user's decision, for someone
    who decides in it (`decides`); everyone else (an analyst) first sees all of it."""

    title = _("queue")
    parameter_name = "queue"

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.default = "mine" if self.decides(request.user) else "all"
        super().__init__(request, *args, **kwargs)

    def decides(self, user: Any) -> bool:
        """Whether this user decides anything in this queue."""
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("mine", _("Awaiting my decision")), ("all", _("All"))]

    def choices(self, changelist: Any) -> Iterator[Any]:
        current = self.value() or self.default
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def awaiting(self, request: HttpRequest) -> QuerySet:
        raise NotImplementedError

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if (self.value() or self.default) == "mine":
            return queryset.filter(pk__in=self.awaiting(request).values("pk"))
        return queryset


def decided_money_column(
    field: str, description: Any, currency: Callable[[Any], str], undecided: Iterable[str]
) -> Callable:
    """An amount that exists only once decided ("approved"): "—" while the row's status
    is one of `undecided`, or when it was never decided (withdrawn before a decision),
    not "0.00 USD" as if nothing had been approved."""
    undecided = frozenset(undecided)
    shown = money_column(field, description, currency)

    @admin.display(description=description, ordering=field)
    def column(obj: Any) -> str:
        return "—" if obj.status in undecided or obj.decided_at is None else shown(obj)

    column.__name__ = field  # the list's cell class: field-approved_amount
    return column


def _event_currency(event: MDFEvent) -> str:
    fund_request = event.request if event.request_id else event.claim.request  # type: ignore[union-attr]
    return fund_request.allocation.pool.currency


class EventInline(ReadOnlyInline):
    model = MDFEvent
    verbose_name_plural = _("history")
    fields = ["at", "actor", "action", "status_shown", "amount_shown", "note_shown"]
    readonly_fields = fields
    amount_shown = staticmethod(money_column("amount", _("amount"), _event_currency))

    @admin.display(description=_("note"))
    def note_shown(self, event: MDFEvent) -> str:
        return event.note_text

    @admin.display(description=_("status"))
    def status_shown(self, event: MDFEvent) -> str:
        return event.status_change_display()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        pools = ("request__allocation__pool", "claim__request__allocation__pool")
        return super().get_queryset(request).select_related("actor", *pools)


class DecisionForm(forms.Form):
    CHOICES: list[tuple[str, Any]] = []
    decision = forms.ChoiceField(widget=forms.RadioSelect)
    approved_amount = forms.CharField(
        required=False,
        label=_("Amount to approve"),
        help_text=_("Activity cost, for a partial approval."),
        widget=forms.TextInput(attrs={"size": 12}),
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required. The partner sees it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = self.CHOICES  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "partly" and not cleaned.get("approved_amount", "").strip():
            self.add_error("approved_amount", _("Enter the amount to approve."))
        return cleaned

    def amount(self) -> str | None:
        if self.cleaned_data["decision"] != "partly":
            return None
        return self.cleaned_data["approved_amount"]


@admin.register(MDFEvent)
class MDFEventAdmin(ReadOnlyAdmin):
    """The decision trail, read-only."""

    list_display = ["at", "partner", "request", "claim", "action", "status_change", "amount"]
    list_filter = ["action", ("partner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["partner", "request", "claim__request", "actor"]
    search_fields = ["note", "partner__name"]
    date_hierarchy = "at"

    @admin.display(description=_("status"))
    def status_change(self, event: MDFEvent) -> str:
        return event.status_change_display()

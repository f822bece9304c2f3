"""Portal pages of business reviews (/portal/plans/reviews/, /portal/plans/action-items/):
the partner's reviews (upcoming, and held with the scorecard frozen when they were
held), one review with its notes and action items, and "My action items" across
plans, where partner users mark their side's items done.

Reviews and action items are partner-owned: every view gets them from
`PartnerScopedObjectMixin` (narrowed, never replaced), so another partner's review
or item answers 404 like a missing one. Staff run reviews in the admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from campaigns import selectors, services
from campaigns.models import ActionItem, BusinessReview, PlanActivity
from partners.scoping import PartnerScopedObjectMixin, PortalAccessMixin

RS = BusinessReview.Status
AS = ActionItem.Status
ITEMS_PER_PAGE = 30
# "Due soon" on the action item badges: due within this many days.
DUE_SOON_DAYS = 7
ITEM_FILTERS = {
    "open": AS.OPEN,
    "done": AS.DONE,
    "all": None,
}


def mark_items(items: list[ActionItem]) -> list[ActionItem]:
    """What the pages show of each item: overdue or due soon, and whether the partner's
    users may mark it (their side's items, of reviews not cancelled: what
    `services.can_set_action_item_status` allows a member; the service decides)."""
    today = timezone.localdate()
    for item in items:
        item.overdue = item.status == AS.OPEN and item.due_date < today
        item.due_soon = (
            item.status == AS.OPEN
            and not item.overdue
            and (item.due_date - today).days <= DUE_SOON_DAYS
        )
        item.can_mark = (
            item.review.status != RS.CANCELLED and item.owner_side == PlanActivity.OwnerSide.PARTNER
        )
    return items


class ReviewListView(PortalAccessMixin, PartnerScopedObjectMixin, ListView):
    """The partner's reviews of every plan: upcoming soonest first, then held."""

    model = BusinessReview
    template_name = "campaigns/reviews/review_list.html"
    context_object_name = "reviews"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.exclude(status=RS.CANCELLED)
            .select_related("plan", "plan__period")
            .order_by("-scheduled_at", "-id")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        reviews = list(context["reviews"])
        partner = self.request.partner  # type: ignore[attr-defined]
        items = selectors.action_items_for_partner(partner=partner)
        today = timezone.localdate()
        context.update(
            upcoming=sorted(
                (r for r in reviews if r.status == RS.SCHEDULED), key=lambda r: r.scheduled_at
            ),
            held=[r for r in reviews if r.status == RS.HELD],
            open_items=items.count(),
            overdue_items=items.filter(due_date__lt=today).count(),
        )
        return context


class ReviewDetailView(PortalAccessMixin, PartnerScopedObjectMixin, DetailView):
    model = BusinessReview
    template_name = "campaigns/reviews/review_detail.html"
    context_object_name = "review"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("plan", "plan__period", "held_by").prefetch_related(
            "attendees",
            Prefetch(
                "action_items",
                ActionItem.objects.select_related("owner", "completed_by").order_by(
                    "due_date", "id"
                ),
            ),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        review: BusinessReview = self.object
        people = list(review.attendees.all())
        context.update(
            snapshot=selectors.review_snapshot(review),
            items=mark_items(list(review.action_items.all())),
            vendor_attendees=[p for p in people if p.is_staff],
            partner_attendees=[p for p in people if not p.is_staff],
        )
        return context


class ActionItemListView(PortalAccessMixin, PartnerScopedObjectMixin, ListView):
    """My action items: the partner's, across plans, soonest due first."""

    model = ActionItem
    template_name = "campaigns/reviews/action_items.html"
    context_object_name = "items"
    paginate_by = ITEMS_PER_PAGE

    def current_filter(self) -> str:
        value = self.request.GET.get("status", "open")
        return value if value in ITEM_FILTERS else "open"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = (
            queryset.exclude(review__status=RS.CANCELLED)
            .select_related("review", "review__plan", "owner", "completed_by")
            .order_by("due_date", "id")
        )
        status = ITEM_FILTERS[self.current_filter()]
        if status is not None:
            queryset = queryset.filter(status=status)
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            items=mark_items(list(context["items"])),
            current_filter=self.current_filter(),
            filters=[
                ("open", _("Open")),
                ("done", _("Done")),
                ("all", _("All")),
            ],
        )
        return context


class ActionItemStatusView(PortalAccessMixin, PartnerScopedObjectMixin, View):
    """Mark an action item done or open again (POST); the service says who may."""

    model = ActionItem
    http_method_names = ["post"]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("review", "review__plan")

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        item = self.get_object()
        assert isinstance(item, ActionItem)
        status = request.POST.get("status", "")
        if status not in (AS.DONE, AS.OPEN):
            messages.error(request, _("Not changed: choose done or open."))
        else:
            try:
                item = services.action_item_set_status(
                    item=item,
                    status=status,
                    actor=request.user,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                messages.error(
                    request, _("Not changed: %(why)s") % {"why": " ".join(map(str, exc.messages))}
                )
            else:
                messages.success(
                    request,
                    _("“%(title)s” is done.") % {"title": item.title}
                    if item.status == AS.DONE
                    else _("“%(title)s” is open again.") % {"title": item.title},
                )
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("plans:review_detail", kwargs={"uuid": item.review.uuid})
        return HttpResponseRedirect(back)

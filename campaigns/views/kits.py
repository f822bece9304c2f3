"""Portal pages of campaigns (/portal/campaigns/): the kits meant for the partner, a
kit's page with its bundled assets and the launch form, the partner's launches.

Kits are shared content: every kit view gets them from `AvailableKitMixin`, whose
queryset is `CampaignKit.objects.available_to(request.partner)` (narrowed, never
replaced), so a kit outside the partner's audience answers 404 like a missing one.
Launches are partner-owned: `PartnerScopedObjectMixin`, looked up by tracking code.
Partner admins and marketers launch and move launches; sales reps see them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from campaigns import selectors, services
from campaigns.forms import LaunchForm
from campaigns.models import CampaignKit, Channel, Launch
from partners.models import Membership
from partners.scoping import PartnerScopedObjectMixin, PortalAccessMixin, ProtectedQuerysetMeta
from partners.views import rating_panel

LAUNCH_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.MARKETER})
KITS_PER_PAGE = 12
LAUNCHES_PER_PAGE = 20


class CampaignsPageMixin(PortalAccessMixin):
    """Every campaigns page: portal access, and whether the user may launch (sales
    reps read only)."""

    request: HttpRequest

    def can_launch(self) -> bool:
        return self.request.membership.role in LAUNCH_ROLES  # type: ignore[attr-defined]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["can_launch"] = self.can_launch()
        return context


class AvailableKitMixin(ProtectedQuerysetMeta):
    """The one way portal views get kits: those available to the request's partner."""

    _owns_scoped_accessors = True
    lookup_url_kwarg: ClassVar[str] = "slug"
    request: HttpRequest
    kwargs: dict[str, Any]

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_queryset(self) -> QuerySet:
        partner = self.request.partner  # type: ignore[attr-defined]
        return self.narrow_queryset(selectors.kits_available(partner=partner))

    def get_object(self, queryset: QuerySet | None = None) -> Model:
        kit = self.get_queryset().filter(slug=str(self.kwargs.get(self.lookup_url_kwarg))).first()
        if kit is None:  # missing, a draft, closed, or not for this partner
            raise Http404
        return kit


class KitListView(CampaignsPageMixin, AvailableKitMixin, TemplateView):
    template_name = "campaigns/kit_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        search = selectors.clean_query(params.get("q", ""))
        channel = params.get("channel", "")
        channel = channel if channel in Channel.values else ""
        kits = selectors.kits_search(self.get_queryset(), search=search, channel=channel).order_by(
            "-published_at", "-id"
        )
        page = Paginator(kits, KITS_PER_PAGE).get_page(params.get("page"))
        context.update(
            page_obj=page,
            kits=page.object_list,
            is_paginated=page.has_other_pages(),
            paginator=page.paginator,
            query=search,
            channel=channel,
            channel_choices=Channel.choices,
            filtered=bool(search or channel),
        )
        return context


class KitDetailView(CampaignsPageMixin, AvailableKitMixin, TemplateView):
    template_name = "campaigns/kit_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        kit = self.get_object()
        context.update(kit_context(self.request, kit))
        context.setdefault("form", LaunchForm(kit=kit))
        return context


def kit_context(request: HttpRequest, kit: CampaignKit) -> dict[str, Any]:
    partner = request.partner  # type: ignore[attr-defined]
    assets = selectors.kit_assets_for_partner(kit=kit, partner=partner)
    for asset in assets:
        # The library's download link, marked as coming from this kit's page (the
        # download is attributed to the kit in the event stream).
        asset.kit_files = [
            {
                "version": version,
                "url": reverse(
                    "library:download", kwargs={"uuid": asset.uuid, "version": version.uuid}
                )
                + f"?kit={kit.slug}",
            }
            for version in asset.current_versions
        ]
    own_launches = list(selectors.launches_for_partner(partner=partner, kit=kit)[:5])
    return {
        "kit": kit,
        "assets": assets,
        "channels": [Channel(value).label for value in kit.channels],
        "own_launches": own_launches,
        **rating_panel(request, item=kit),
    }


class LaunchCreateView(CampaignsPageMixin, AvailableKitMixin, View):
    """Launch a kit (POST from the kit's page); errors show on the kit's page."""

    allowed_roles = LAUNCH_ROLES
    http_method_names = ["post"]

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        kit = self.get_object()
        assert isinstance(kit, CampaignKit)
        form = LaunchForm(request.POST, kit=kit)
        if form.is_valid():
            try:
                launch = services.launch_create(
                    partner=request.partner,  # type: ignore[attr-defined]
                    kit=kit,
                    actor=request.user,  # type: ignore[arg-type]
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("Your launch is planned. Share its tracking link wherever you run it."),
                )
                return redirect("campaigns:launch_detail", code=launch.code)
        context = {**kit_context(request, kit), "form": form, "can_launch": True}
        return render(request, "campaigns/kit_detail.html", context, status=400)


class LaunchListView(CampaignsPageMixin, PartnerScopedObjectMixin, ListView):
    model = Launch
    template_name = "campaigns/launch_list.html"
    context_object_name = "launches"
    paginate_by = LAUNCHES_PER_PAGE

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        status = self.request.GET.get("status", "")
        queryset = queryset.select_related("kit", "partner")
        if status in Launch.Status.values:
            queryset = queryset.filter(status=status)
        return queryset.order_by("-created_at", "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        launches = list(context["launches"])
        results = selectors.launch_results(
            partner=self.request.partner,  # type: ignore[attr-defined]
            launch_ids=[launch.pk for launch in launches],
        )
        for launch in launches:
            launch.tracking_url = self.request.build_absolute_uri(launch.tracking_path)
            launch.results = results[launch.pk]
        context.update(
            launches=launches,
            status_choices=Launch.Status.choices,
            current_status=status if status in Launch.Status.values else "",
        )
        context["filtered"] = bool(context["current_status"])
        return context


class LaunchObjectMixin(CampaignsPageMixin, PartnerScopedObjectMixin):
    model = Launch
    lookup_field = "code"
    lookup_url_kwarg = "code"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("kit", "partner", "created_by")


class LaunchDetailView(LaunchObjectMixin, DetailView):
    template_name = "campaigns/launch_detail.html"
    context_object_name = "launch"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        launch: Launch = self.object
        partner = self.request.partner  # type: ignore[attr-defined]
        context.update(
            tracking_url=self.request.build_absolute_uri(launch.tracking_path),
            destination=selectors.launch_destination(launch),
            moves=[
                (value, Launch.Status(value).label) for value in Launch.TRANSITIONS[launch.status]
            ],
            history=selectors.launch_history(launch=launch),
            results=selectors.launch_results(partner=partner, launch_ids=[launch.pk])[launch.pk],
            fund_requests=selectors.fund_requests_for_launch(partner=partner, launch=launch),
        )
        return context


class LaunchStatusView(LaunchObjectMixin, View):
    """Confirm (GET, for completing) and make (POST) a status move of a launch."""

    allowed_roles = LAUNCH_ROLES
    template_name = "campaigns/launch_status_confirm.html"

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        launch = self.get_object()
        assert isinstance(launch, Launch)
        status = request.GET.get("status", Launch.Status.COMPLETED)
        if status not in Launch.Status.values:
            status = Launch.Status.COMPLETED
        return render(
            request,
            self.template_name,
            {
                "launch": launch,
                "status": status,
                "status_label": Launch.Status(status).label,
                "allowed": launch.can_move_to(status),
            },
        )

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        launch = self.get_object()
        assert isinstance(launch, Launch)
        status = request.POST.get("status", "")
        try:
            launch = services.launch_set_status(
                launch=launch,
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
                _("The launch is now %(status)s.")
                % {"status": launch.get_status_display().lower()},
            )
        return redirect("campaigns:launch_detail", code=launch.code)

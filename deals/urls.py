"""Portal routes of deals/ (mounted at /portal/deals/, namespace `deals`)."""

from django.urls import path

from deals.views import leads, registration

app_name = "deals"

urlpatterns = [
    path("", registration.DealListView.as_view(), name="list"),
    path("export.csv", registration.DealExportView.as_view(), name="export"),
    path("new/", registration.DealCreateView.as_view(), name="create"),
    path("leads/", leads.LeadListView.as_view(), name="lead_list"),
    path("leads/<uuid:uuid>/", leads.LeadDetailView.as_view(), name="lead_detail"),
    path("leads/<uuid:uuid>/accept/", leads.LeadAcceptView.as_view(), name="lead_accept"),
    path("leads/<uuid:uuid>/decline/", leads.LeadDeclineView.as_view(), name="lead_decline"),
    path("leads/<uuid:uuid>/work/", leads.LeadWorkView.as_view(), name="lead_work"),
    path("leads/<uuid:uuid>/convert/", leads.LeadConvertView.as_view(), name="lead_convert"),
    path("<uuid:uuid>/", registration.DealDetailView.as_view(), name="detail"),
    path("<uuid:uuid>/edit/", registration.DealEditView.as_view(), name="edit"),
    path("<uuid:uuid>/answer/", registration.DealAnswerView.as_view(), name="answer"),
    path("<uuid:uuid>/stage/", registration.DealStageView.as_view(), name="stage"),
    path("<uuid:uuid>/extension/", registration.DealExtensionView.as_view(), name="extension"),
    path("<uuid:uuid>/close/won/", registration.DealCloseWonView.as_view(), name="close_won"),
    path("<uuid:uuid>/close/lost/", registration.DealCloseLostView.as_view(), name="close_lost"),
]

"""The public portal's pages, under /open/ (included by `web.urls`)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.portal_home, name="open-home"),
    path("programs/", views.program_list, name="open-programs"),
    path("programs/<int:pk>/", views.program_detail, name="open-program"),
    path("calls/", views.call_list, name="open-calls"),
    path("calls/<int:pk>/", views.call_detail, name="open-call"),
    path("awards/", views.award_list_list, name="open-award-lists"),
    path("awards/<int:pk>/", views.award_list_detail, name="open-award-list"),
    path("contracts/", views.contract_list, name="open-contracts"),
    path("contracts/<int:pk>/", views.contract_detail, name="open-contract"),
    path("evaluations/", views.evaluation_list, name="open-evaluations"),
    path("organizations/", views.organization_list, name="open-organizations"),
    path("organizations/<int:pk>/", views.organization_detail, name="open-organization"),
]

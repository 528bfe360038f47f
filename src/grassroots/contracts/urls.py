"""Pages of the contracts stage (included by grassroots.web.urls)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/sign/", views.contract_sign, name="contract-sign"),
    path("contracts/<int:pk>/changes/new/", views.change_request, name="contract-change-request"),
    path("milestones/<int:pk>/submit/", views.milestone_submit, name="milestone-submit"),
    path("milestones/<int:pk>/review/", views.milestone_review, name="milestone-review"),
    path("tranches/<int:pk>/pay/", views.tranche_pay, name="tranche-pay"),
    path("changes/<int:pk>/decide/", views.change_decide, name="change-decide"),
]

from django.urls import path

from grassroots.applications import views as application_views
from grassroots.contracts import views as contract_views
from grassroots.funding import views as funding_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("calls/<int:pk>/", funding_views.call_detail, name="call-detail"),
    path("applications/<int:pk>/", application_views.application_detail, name="application-detail"),
    path("contracts/<int:pk>/", contract_views.contract_detail, name="contract-detail"),
    path(
        "contracts/<int:pk>/import/<str:kind>.<str:fmt>",
        contract_views.import_template,
        name="contract-import-template",
    ),
    path("contracts/<int:pk>/import/", contract_views.import_file, name="contract-import"),
    path("contracts/<int:pk>/pdf/", contract_views.contract_pdf, name="contract-pdf"),
]

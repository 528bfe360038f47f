"""Pages of the delivery stage (included by grassroots.web.urls)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/records/new/", views.record_create, name="record-create"),
    path("contracts/<int:pk>/expenditures/new/", views.expenditure_create, name="expenditure-create"),
    path("records/mine/", views.records_mine, name="records-mine"),
]

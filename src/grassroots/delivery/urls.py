"""Pages of the delivery stage (included by grassroots.web.urls)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("contracts/<int:pk>/records/new/", views.record_create, name="record-create"),
    path("contracts/<int:pk>/expenditures/new/", views.expenditure_create, name="expenditure-create"),
    path("records/mine/", views.records_mine, name="records-mine"),
    path("records/<int:pk>/", views.record_detail, name="record-detail"),
    path("expenditures/<int:pk>/", views.expenditure_detail, name="expenditure-detail"),
    path("attachments/<int:pk>/<str:name>", views.attachment_file, name="attachment-file"),
]

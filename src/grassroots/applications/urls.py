"""Pages of the applications stage (included by grassroots.web.urls)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("calls/<int:pk>/apply/", views.application_create, name="application-create"),
    path("calls/<int:pk>/apply/totals/", views.application_totals, name="application-totals"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application-edit"),
    path("applications/<int:pk>/submit/", views.application_submit, name="application-submit"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application-withdraw"),
]

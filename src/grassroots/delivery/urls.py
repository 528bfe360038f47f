"""Pages of the delivery stage (included by grassroots.web.urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

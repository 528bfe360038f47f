"""Pages of the funding stage (included by grassroots.web.urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

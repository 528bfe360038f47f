"""Pages of the awards stage (included by grassroots.web.urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

"""The API's page for people: their tokens (included by `web.urls` under /account/)."""

from django.urls import path

from . import views

urlpatterns = [path("api-tokens/", views.tokens, name="api-tokens")]

from django.urls import path

from . import views

urlpatterns = [
    path("governance/", views.index, name="governance-index"),
    path("governance/<int:pk>/", views.dashboard, name="governance-dashboard"),
]

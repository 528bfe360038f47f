"""Pages of the policy simulator (included by grassroots.web.urls)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("simulation/", views.simulation_home, name="simulation-home"),
    path("simulation/runs/<int:pk>/", views.simulation_run, name="simulation-run"),
    path("simulation/runs/<int:pk>/plot.png", views.simulation_plot, name="simulation-plot"),
]

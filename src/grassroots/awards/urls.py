"""Pages of the awards stage (included by grassroots.web.urls)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("calls/<int:pk>/awards/", views.call_awards, name="call-awards"),
    path("calls/<int:pk>/awards/propose/", views.awards_propose, name="call-awards-propose"),
    path("calls/<int:pk>/awards/publicity/", views.awards_publicity, name="call-awards-publicity"),
    path("calls/<int:pk>/awards/objections/", views.awards_object, name="call-awards-object"),
    path("calls/<int:pk>/awards/objections/<int:objection>/answer/", views.awards_answer, name="call-awards-answer"),
    path("calls/<int:pk>/awards/decide/", views.awards_decide, name="call-awards-decide"),
    path("calls/<int:pk>/awards/withdraw/", views.awards_withdraw, name="call-awards-withdraw"),
]

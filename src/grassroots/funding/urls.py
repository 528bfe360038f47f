"""Pages of the funding stage (included by grassroots.web.urls, which keeps the call page's "call-detail")."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    # the department's programs: list, issue, open / close, entrust envelopes, direct calls
    path("programs/", views.program_list, name="program-list"),
    path("programs/new/", views.program_create, name="program-create"),
    path("programs/<int:pk>/", views.program_detail, name="program-detail"),
    path("programs/<int:pk>/state/", views.program_state, name="program-state"),
    path("programs/<int:pk>/envelopes/", views.envelope_allocate, name="envelope-allocate"),
    path("programs/<int:pk>/calls/new/", views.program_call_create, name="program-call-create"),
    # a street's envelope and the calls it bundles on it
    path("envelopes/<int:pk>/", views.envelope_detail, name="envelope-detail"),
    path("envelopes/<int:pk>/calls/new/", views.envelope_call_create, name="envelope-call-create"),
    # the call page's actions for its officers: open, close (starting the review), cancel
    path("calls/<int:pk>/state/", views.call_state, name="call-state"),
    # live totals of shares typed into the forms (htmx partial)
    path("funding/total/", views.share_total, name="funding-total"),
]

"""Pages of the review stage (included by grassroots.web.urls)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    # the call's officers: screening, assignment, conflicts, progress, closing the panel, the ranking
    path("calls/<int:pk>/review/", views.call_review, name="call-review"),
    path("calls/<int:pk>/review/start/", views.review_start, name="call-review-start"),
    path("calls/<int:pk>/review/vacancies/", views.review_fill, name="call-review-fill"),
    path("calls/<int:pk>/review/assign/", views.review_assign, name="call-review-assign"),
    path("calls/<int:pk>/review/remove/", views.review_remove, name="call-review-remove"),
    path("calls/<int:pk>/review/conflicts/", views.review_conflict, name="call-review-conflict"),
    path("calls/<int:pk>/review/close/", views.review_close, name="call-review-close"),
    # the reviewers: their assignments, the score sheet, declaring a conflict
    path("reviews/", views.my_reviews, name="my-reviews"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/scores/", views.review_score, name="review-score"),
    path("reviews/<int:pk>/conflict/", views.review_declare, name="review-declare"),
]

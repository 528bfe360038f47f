from django.urls import include, path

from grassroots.applications import views as application_views
from grassroots.contracts import views as contract_views
from grassroots.evaluation import views as evaluation_views
from grassroots.funding import views as funding_views
from grassroots.needs import views as needs_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    # the lists: filters, search, sorting, pages and downloads (?format=csv|xlsx) of what the user may see
    path("calls/", views.call_list, name="call-list"),
    path("applications/", views.application_list, name="application-list"),
    path("contracts/", views.contract_list, name="contract-list"),
    path("payments/", views.payment_list, name="payment-list"),
    path("records/", views.record_list, name="record-list"),
    path("expenditures/", views.expenditure_list, name="expenditure-list"),
    path("evaluations/", views.evaluation_list, name="evaluation-list"),
    # the public portal (no login) and the API tokens of the logged-in user
    path("open/", include("grassroots.disclosure.urls")),
    path("account/", include("grassroots.api.urls")),
    # each stage's own pages (forms and lists) live in its app's urls.py
    path("", include("grassroots.funding.urls")),
    path("", include("grassroots.review.urls")),
    path("", include("grassroots.awards.urls")),
    path("", include("grassroots.applications.urls")),
    path("", include("grassroots.contracts.urls")),
    path("", include("grassroots.delivery.urls")),
    path("", include("grassroots.simulation.urls")),
    path("", include("grassroots.governance.urls")),
    path("calls/<int:pk>/", funding_views.call_detail, name="call-detail"),
    path("applications/<int:pk>/", application_views.application_detail, name="application-detail"),
    path("applications/<int:pk>/needs/", application_views.application_needs, name="application-needs"),
    path("contracts/<int:pk>/", contract_views.contract_detail, name="contract-detail"),
    path(
        "contracts/<int:pk>/import/<str:kind>.<str:fmt>",
        contract_views.import_template,
        name="contract-import-template",
    ),
    path("contracts/<int:pk>/import/", contract_views.import_file, name="contract-import"),
    path("contracts/<int:pk>/pdf/", contract_views.contract_pdf, name="contract-pdf"),
    # evaluation: the report, the evaluator's scoring, acceptance and rectification
    path("evaluations/<int:pk>/", evaluation_views.evaluation_detail, name="evaluation-detail"),
    path("evaluations/<int:pk>/pdf/", evaluation_views.evaluation_pdf, name="evaluation-pdf"),
    path("evaluations/<int:pk>/score/", evaluation_views.evaluation_score, name="evaluation-score"),
    path("evaluations/<int:pk>/decide/", evaluation_views.evaluation_decide, name="evaluation-decide"),
    path("evaluations/<int:pk>/surveys/new/", evaluation_views.survey_create, name="survey-create"),
    path("findings/<int:pk>/rectify/", evaluation_views.finding_rectify, name="finding-rectify"),
    path("findings/<int:pk>/follow-up/", evaluation_views.finding_follow_up, name="finding-follow-up"),
    # satisfaction surveys: the evaluator's pages, then the public ones (no login)
    path("surveys/<int:pk>/", evaluation_views.survey_detail, name="survey-detail"),
    path("surveys/<int:pk>/tokens/", evaluation_views.survey_tokens, name="survey-tokens"),
    path("surveys/<int:pk>/state/", evaluation_views.survey_state, name="survey-state"),
    path("surveys/<int:pk>/sheet.pdf", evaluation_views.survey_sheet, name="survey-sheet"),
    path("s/", evaluation_views.public_survey_entry, name="public-survey-entry"),
    path("s/thanks/", evaluation_views.public_survey_thanks, name="public-survey-thanks"),
    path("s/<str:token>/", evaluation_views.public_survey, name="public-survey"),
    # indicator systems and the results organizations are credited with
    path("programs/<int:pk>/indicators/", evaluation_views.program_indicators, name="program-indicators"),
    path("programs/<int:pk>/indicators.xlsx", evaluation_views.program_indicators_xlsx, name="program-indicators-xlsx"),
    path("orgs/<int:pk>/", evaluation_views.org_profile, name="org-profile"),
    # residents' needs and community consultation (议事协商)
    path("communities/<int:pk>/needs/", needs_views.community_needs, name="community-needs"),
    path("communities/<int:pk>/needs/new/", needs_views.need_raise, name="need-raise"),
    path("communities/<int:pk>/meetings/new/", needs_views.meeting_plan, name="meeting-plan"),
    path("needs/<int:pk>/", needs_views.need_detail, name="need-detail"),
    path("needs/<int:pk>/decide/", needs_views.need_decide, name="need-decide"),
    path("meetings/<int:pk>/", needs_views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/state/", needs_views.meeting_state, name="meeting-state"),
    path("meetings/<int:pk>/seat/", needs_views.meeting_seat, name="meeting-seat"),
    path("meetings/<int:pk>/ballot/", needs_views.meeting_ballot, name="meeting-ballot"),
]

from django.urls import path

from vakwerk.assessments import questionnaire_views as views

app_name = "questionnaires"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("deelname/<int:subject_id>/collegas/", views.nominate, name="nominate"),
    path("deelname/<int:subject_id>/collegas/goedkeuren/", views.approve, name="approve"),
    path("deelname/<int:subject_id>/extern/", views.external, name="external"),
    path("<int:invitation_id>/", views.answer, name="answer"),
    path("<int:invitation_id>/antwoord/", views.answer_item, name="answer_item"),
    path("extern/<str:token>/", views.external_answer, name="external_answer"),
    path("extern/<str:token>/antwoord/", views.external_answer_item, name="external_answer_item"),
]

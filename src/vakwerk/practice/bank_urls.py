from django.urls import path

from vakwerk.practice import bank_views

app_name = "bank"
urlpatterns = [
    path("oordeel/<int:exercise_id>/", bank_views.judgement, name="judgement"),
    path("kaart/<int:exercise_id>/", bank_views.card, name="card"),
    path("dagboek/", bank_views.journal, name="journal"),
    path("dagboek/<int:entry_id>/verwijderen/", bank_views.journal_delete, name="journal_delete"),
]

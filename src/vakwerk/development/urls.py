from django.urls import path

from vakwerk.development import views

app_name = "development"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("voorstel/", views.propose, name="propose"),
    path("plan/<int:plan_id>/", views.plan, name="plan"),
    path("plan/<int:plan_id>/opslaan/", views.plan_update, name="plan_update"),
    path("plan/<int:plan_id>/toevoegen/", views.plan_add, name="plan_add"),
    path("plan/<int:plan_id>/indienen/", views.plan_submit, name="plan_submit"),
    path("plan/<int:plan_id>/besluit/", views.plan_decide, name="plan_decide"),
    path("plan/<int:plan_id>/gesprek/", views.plan_talk, name="plan_talk"),
    path(
        "plan/<int:plan_id>/activiteit/<int:item_id>/voortgang/",
        views.item_progress,
        name="item_progress",
    ),
    path("plan/<int:plan_id>/gesprekskaart/", views.guide, name="guide"),
    path("plan/<int:plan_id>/gesprekskaart.pdf", views.guide_pdf, name="guide_pdf"),
    path("team/", views.team, name="team"),
    path("leerbehoeften/", views.needs, name="needs"),
    path("leerbehoeften/export.<str:fmt>", views.needs_export, name="needs_export"),
]

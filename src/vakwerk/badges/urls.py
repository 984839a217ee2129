"""Two namespaces under one prefix: ``badges`` (the employee's own page, behind login, scoped to
the active organisation) and ``badges_public`` (no login: what a verifier or a reader of a
shared link needs; docs/badges.md). The public namespace is deliberately not in the
organisation-isolation walk (``tests/test_isolation.py``): it is reachable across
organisations by design and shows only shared badges, which ``badges/tests`` checks."""

from django.urls import include, path

from vakwerk.badges import views

own = [
    path("", views.mine, name="mine"),
    path("claimen/", views.claim, name="claim"),
    path("<uuid:badge_id>/delen/", views.share, name="share"),
    path("<uuid:badge_id>/download.<str:fmt>", views.download, name="download"),
]

public = [
    path("<uuid:badge_id>/", views.public_page, name="badge"),
    path("<uuid:badge_id>/credential.jwt", views.public_credential, name="credential"),
    path("<uuid:badge_id>/status", views.public_status, name="status"),
    path("uitgevers/<slug:slug>/", views.issuer, name="issuer"),
    path("uitgevers/<slug:slug>/jwks.json", views.jwks, name="jwks"),
]

urlpatterns = [
    path("", include((own, "badges"))),
    path("", include((public, "badges_public"))),
]

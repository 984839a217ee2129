from django.urls import path

from vakwerk.api import token_views

app_name = "api_tokens"
urlpatterns = [
    path("", token_views.token_list, name="list"),
    path("nieuw/", token_views.token_create, name="create"),
    path("nieuw/gemaakt/", token_views.token_created, name="created"),
    path("<int:token_id>/intrekken/", token_views.token_revoke, name="revoke"),
]

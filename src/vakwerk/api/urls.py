"""``/api/...``: version 1 of the REST API, and a problem+json 404 for everything else under
``/api/v1`` (unknown paths, trailing slashes: NLGov wants 404, never a redirect)."""

from django.urls import path, re_path

from vakwerk.api.api import api
from vakwerk.api.nlgov import not_found

urlpatterns = [
    path("v1/", api.urls),
    re_path(r"^v1(?:/.*)?$", not_found, name="api_not_found"),
]

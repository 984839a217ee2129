from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, items: Any, *, per_page: int = 50) -> Page[Any]:
    """The requested page of ``items``; a missing, bad or too-high page number gives page 1
    or the last page instead of an error."""
    return Paginator(items, per_page).get_page(request.GET.get("pagina"))


def querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("pagina", None)
    return params.urlencode()

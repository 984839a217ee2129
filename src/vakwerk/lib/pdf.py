"""PDF documents from Django templates, through WeasyPrint.

A PDF is rendered from the same kind of HTML template as a page, so a report and its PDF share
markup and look; `css/vakwerk-print.css` (A4, page numbers, tables that keep their rows whole) is
always applied.

WeasyPrint fetches every resource a document names: stylesheets, images, fonts, SVG images. A
PDF is rendered on the server, often with personal data in it, so it must never reach the network
or the file system at large: `StaticOnlyFetcher` serves our own static files and `data:` URLs and
refuses everything else. WeasyPrint logs a refused resource and renders the document without it.
"""

import mimetypes
import posixpath
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest
from django.template.loader import render_to_string
from weasyprint.urls import URLFetcher, URLFetcherResponse

PRINT_STYLESHEET = "css/vakwerk-print.css"


class RefusedResourceError(ValueError):
    """A document asked for a resource that is not one of our static files or a data: URL."""


class StaticOnlyFetcher(URLFetcher):
    """Serves URLs under the static prefix from our static files, and `data:` URLs.

    `static_prefix` is the absolute URL static files live under (the document's base URL joined
    with STATIC_URL). Files are looked up with the staticfiles finders (the source folders) and
    then in the collected static storage (which also knows the hashed names `{% static %}` writes
    in production). Nothing is fetched over the network.
    """

    def __init__(self, static_prefix: str) -> None:
        # Only data: URLs ever reach the parent fetcher; the protocol list repeats that rule.
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)
        self.static_prefix = static_prefix

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith(self.static_prefix):
            return self._static_file(url)
        if urlsplit(url).scheme.lower() == "data":
            return super().fetch(url, headers)
        raise RefusedResourceError(f"Only static files and data: URLs may be used in a PDF: {url}")

    def _static_file(self, url: str) -> URLFetcherResponse:
        name = unquote(urlsplit(url[len(self.static_prefix) :]).path)
        if name != posixpath.normpath(name) or name.startswith(("/", "..")):
            raise RefusedResourceError(f"Not a plain static file name: {url}")
        content = _read_static(name)
        if content is None:
            raise RefusedResourceError(f"No such static file: {url}")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, content, headers={"Content-Type": content_type})


def _read_static(name: str) -> bytes | None:
    """The bytes of static file `name`, from the source folders or else the collected files."""
    try:
        path = finders.find(name)
        if isinstance(path, str):
            with open(path, "rb") as file:
                return file.read()
        if staticfiles_storage.exists(name):
            with staticfiles_storage.open(name) as stored:
                data: bytes = stored.read()
                return data
    except SuspiciousFileOperation:
        return None
    return None


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Converts an HTML document to PDF with the print stylesheet, fetching static files only.

    `base_url` resolves relative links (`/static/...`, and `<a href>` links kept in the PDF); it
    defaults to settings.BASE_URL, the address people use to reach Vakwerk.
    """
    base = base_url or f"{settings.BASE_URL}/"
    fetcher = StaticOnlyFetcher(urljoin(base, settings.STATIC_URL))
    print_css = weasyprint.CSS(url=fetcher.static_prefix + PRINT_STYLESHEET, url_fetcher=fetcher)
    document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(stylesheets=[print_css])
    return pdf


def render_pdf(
    template_name: str, context: Mapping[str, Any], *, request: HttpRequest | None = None
) -> bytes:
    """Renders a Django template to HTML and converts it to PDF (see `html_to_pdf`).

    With a request the template gets the context processors' variables, and relative links in
    the PDF point at the host the request came in on.
    """
    html = render_to_string(template_name, dict(context), request=request)
    base_url = request.build_absolute_uri("/") if request is not None else None
    return html_to_pdf(html, base_url=base_url)

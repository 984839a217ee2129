"""PDFs from templates: real WeasyPrint output, rendered back to pixels with pdfium."""

import logging
import socket

import numpy as np
import pypdfium2 as pdfium
import pytest
from django.test import RequestFactory

from vakwerk.lib.pdf import RefusedResourceError, StaticOnlyFetcher, render_pdf

RED = (204, 0, 0)
BLUE = (0, 0, 204)
GREEN = (0, 153, 0)

REPORT = """{% load static %}<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>{{ title }}</title>
{% for sheet in sheets %}<link rel="stylesheet" href="{% static sheet %}">{% endfor %}
</head><body>
<h1>{{ title }}</h1>
{% if request %}<p>Asked for {{ request.path }}</p>{% endif %}
<p class="vakwerk-no-print">Only on screen</p>
{% if image %}<img src="{{ image }}" alt="" width="100" height="100">{% endif %}
<svg width="300" height="120" viewBox="0 0 300 120" role="img" aria-label="chart">
  <rect x="0" y="0" width="300" height="120" fill="#cc0000"/>
</svg>
<div class="test-box">Box</div>
</body></html>
"""

BLUE_SVG = (
    "data:image/svg+xml,"
    "%3Csvg xmlns='http://www.w3.org/2000/svg' width='100' height='100'%3E"
    "%3Crect width='100' height='100' fill='%230000cc'/%3E%3C/svg%3E"
)


@pytest.fixture(autouse=True)
def report_template(settings, tmp_path):
    """The report as a named template, and a folder of test-only static files."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", {"report.html": REPORT})],
                "context_processors": ["django.template.context_processors.request"],
            },
        }
    ]
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "box.css").write_text(
        ".test-box { background: #009900; height: 40mm; }", encoding="utf-8"
    )
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, tmp_path]


def pixels(pdf: bytes, page: int = 0) -> np.ndarray:
    """Page `page` as an RGB array at 72 dpi."""
    image = pdfium.PdfDocument(pdf)[page].render(scale=1).to_pil().convert("RGB")
    return np.asarray(image)


def share_of(image: np.ndarray, colour: tuple[int, int, int]) -> float:
    """The fraction of pixels within a small distance of `colour`."""
    close = np.abs(image.astype(int) - np.array(colour)).max(axis=2) <= 8
    return float(close.mean())


def text_of(pdf: bytes, page: int = 0) -> str:
    return pdfium.PdfDocument(pdf)[page].get_textpage().get_text_range()


def test_pdf_of_a_template_shows_its_heading_and_chart():
    pdf = render_pdf("report.html", {"title": "Persoonlijk rapport"})

    assert pdf.startswith(b"%PDF-")
    image = pixels(pdf)
    not_white = (image < 240).any(axis=2).mean()
    assert not_white > 0.04
    # The 300 x 120 px (225 x 90 pt) rectangle on a 595 x 842 pt page: 4 % of the pixels.
    assert share_of(image, RED) > 0.035
    assert "Persoonlijk rapport" in text_of(pdf)


def test_print_stylesheet_makes_a4_pages_with_page_numbers_and_hides_screen_only_parts():
    pdf = render_pdf("report.html", {"title": "Persoonlijk rapport"})

    width, height = pdfium.PdfDocument(pdf)[0].get_size()
    assert (round(width), round(height)) == (595, 842)
    text = text_of(pdf)
    assert "1 / 1" in text
    assert "Only on screen" not in text


def test_static_stylesheet_linked_by_the_template_is_applied():
    without = render_pdf("report.html", {"title": "Rapport"})
    with_sheet = render_pdf("report.html", {"title": "Rapport", "sheets": ["test/box.css"]})

    assert share_of(pixels(without), GREEN) == 0
    assert share_of(pixels(with_sheet), GREEN) > 0.05


def test_data_url_image_is_drawn():
    pdf = render_pdf("report.html", {"title": "Rapport", "image": BLUE_SVG})

    assert share_of(pixels(pdf), BLUE) > 0.01


def test_remote_image_is_refused_without_touching_the_network(monkeypatch, caplog):
    connections: list[object] = []

    def no_connection(*args: object, **kwargs: object) -> None:
        connections.append(args)
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    monkeypatch.setattr(socket.socket, "connect", no_connection)
    image = "http://example.com/x.png"

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf("report.html", {"title": "Rapport", "image": image})

    assert pdf.startswith(b"%PDF-")
    assert share_of(pixels(pdf), RED) > 0.035
    assert connections == []
    assert any(
        image in r.getMessage() and "RefusedResourceError" in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/static/css/vakwerk-print.css",
        "file:///etc/passwd",
        "ftp://example.com/x.css",
        "http://testserver/media/logo.png",
        "http://testserver/static/css/../../settings.py",
        "http://testserver/static/css/%2e%2e/%2e%2e/settings.py",
        "http://testserver/static//etc/passwd",
        "http://testserver/static/css/no-such-file.css",
    ],
)
def test_fetcher_refuses_everything_but_existing_static_files(url):
    fetcher = StaticOnlyFetcher("http://testserver/static/")

    with pytest.raises(RefusedResourceError):
        fetcher.fetch(url)


def test_fetcher_serves_static_files_with_their_type():
    fetcher = StaticOnlyFetcher("http://testserver/static/")

    response = fetcher.fetch("http://testserver/static/css/vakwerk-print.css?v=1")

    assert response.content_type == "text/css"
    assert b"@page" in response.read()
    assert response.url == "http://testserver/static/css/vakwerk-print.css?v=1"


def test_request_reaches_the_template():
    request = RequestFactory().get("/reports/42/")

    pdf = render_pdf("report.html", {"title": "Rapport"}, request=request)

    assert "Asked for /reports/42/" in text_of(pdf)

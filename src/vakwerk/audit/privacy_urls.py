from django.urls import path

from vakwerk.audit import privacy_views as views

app_name = "privacy"
urlpatterns = [
    path("", views.index, name="index"),
    path("download.json", views.download_json, name="json"),
    path("overzicht/", views.printable, name="printable"),
    path("overzicht.pdf", views.download_pdf, name="pdf"),
]

from __future__ import annotations

from django.urls import path

from tests.project.shop import views

urlpatterns = [
    path("ok/", views.ok),
    path("boom/", views.boom),
    path("start/", views.start),
    path("eager/", views.eager),
    path("pay/", views.pay),
]

from django.http import HttpResponse
from django.urls import path

app_name = "pigeon"

urlpatterns = [
    path("<str:key>/", lambda request, key: HttpResponse(f"coo {key}"), name="inbound"),
]

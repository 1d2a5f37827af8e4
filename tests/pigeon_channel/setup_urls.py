from django.http import HttpResponse
from django.urls import path

urlpatterns = [
    path("new/", lambda request: HttpResponse("Name your loft"), name="pigeon-create"),
]

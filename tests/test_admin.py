"""The back office opens for superusers: every registered model's list and edit page."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from frontdesk.core.models import User
from tests.test_workspace_isolation import ForeignWorld

pytestmark = pytest.mark.django_db


def test_every_admin_list_and_edit_page_opens(client, cast):
    world = ForeignWorld()  # one row of every workspace model
    superuser = User.objects.create_superuser("root@frontdesk.example", "x" * 12)
    client.force_login(superuser)
    opened = 0
    for model in admin.site._registry:
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        response = client.get(reverse(f"admin:{info}_changelist"))
        assert response.status_code == 200, f"{model._meta.label} list: {response.status_code}"
        row = world.rows.get(model) or model._default_manager.first()
        if row is not None:
            response = client.get(reverse(f"admin:{info}_change", args=[row.pk]))
            assert response.status_code == 200, f"{model._meta.label} edit: {response.status_code}"
            opened += 1
    assert opened >= len(world.rows)


def test_workspace_staff_without_the_back_office_flag_cannot_open_it(client, cast):
    client.force_login(cast["owner"].user)
    response = client.get("/admin/core/contact/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

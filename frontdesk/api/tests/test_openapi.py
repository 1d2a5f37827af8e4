from __future__ import annotations

from django.test import Client


def test_openapi_document_is_served_without_a_token_and_lists_contact_paths(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Frontdesk API"
    paths = document["paths"]
    assert {"/api/v1/me", "/api/v1/contacts", "/api/v1/contacts/{contact_id}"} <= set(paths)
    assert {"get", "post"} <= set(paths["/api/v1/contacts"])
    assert {"get", "patch"} <= set(paths["/api/v1/contacts/{contact_id}"])
    assert "post" in paths["/api/v1/contacts/{contact_id}/identities"]
    assert "post" in paths["/api/v1/contacts/{contact_id}/merge"]
    schemes = document["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"]


def test_docs_page_is_served_without_a_token(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "openapi.json" in page
    # Swagger UI comes from the installed package's static files, never a CDN.
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn." not in page

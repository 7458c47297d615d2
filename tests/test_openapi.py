"""The API documents itself, offline."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_the_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/tickets/{ticket_id}/messages",
        "/api/v1/tickets/{ticket_id}/actions",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/timeline",
    }
    assert "BearerTokenAuth" in schema["components"]["securitySchemes"]


def test_docs_page_loads_nothing_from_outside(client):
    html = client.get("/api/v1/docs").content.decode()
    external = [
        url
        for url in re.findall(r'(?:src|href)="([^"]+)"', html)
        if url.startswith(("http:", "https:", "//"))
    ]
    assert external == []
    assert "swagger-ui" in html


def test_home_page_links_admin_and_docs(client):
    html = client.get("/").content.decode()
    assert 'href="/admin/"' in html
    assert 'href="/api/v1/docs"' in html

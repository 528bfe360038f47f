"""Schemathesis against the OpenAPI document, in-process through the Django WSGI app: for every operation,
generated requests (valid ones, with a token) never meet a server error, and every answer fits the document
(status code, content type, body schema). Few examples per operation, so the test stays well under a minute."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests import world as w

from .conftest import Stage, bearer

pytestmark = pytest.mark.django_db

EXAMPLES = 10
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def test_the_openapi_document_is_served_with_its_docs(stage: Stage) -> None:
    from django.test import Client

    document = Client().get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/api/contracts/{id}" in document["paths"] and "/api/reviews/{id}/scores" in document["paths"]
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    docs = Client().get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()


@contextmanager
def connection_kept() -> Iterator[None]:
    """The WSGI app closes the database connection after each request, as in production; the test's data
    live in the test's transaction on that connection, so (as Django's test client does) it stays open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_no_operation_answers_a_server_error(stage: Stage, world: w.World) -> None:
    with connection_kept():
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    headers = {"Authorization": f"Bearer {bearer(world.managers[1])}", "Accept-Language": "en"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            suppress_health_check=list(HealthCheck),
            deadline=None,
            database=None,
            derandomize=True,
        )
        @given(case=operation.as_strategy(headers=headers))
        def fuzz(case: Any) -> None:
            case.call_and_validate(checks=CHECKS, headers=headers)

        with connection_kept():
            fuzz()

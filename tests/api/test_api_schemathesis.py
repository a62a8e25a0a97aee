"""A property-based run of the API's own OpenAPI document against the app (Schemathesis): whatever a client
sends, valid or not, no server error and no answer outside the document (status, content type, headers, body
schema). A bounded number of generated requests per operation keeps the run under a minute."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)
from starlette.applications import Starlette

from api.routes import routes
from tests.api.conftest import bearer, new_key

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = 15  # generated requests per operation, valid and invalid ones mixed


def test_no_server_error_and_no_answer_outside_the_document(demo_api: str) -> None:
    key = new_key("admin", name="schemathesis", rate=100_000)  # every capability an administrator holds
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", Starlette(routes=routes()))
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=cases)
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def each(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=bearer(key), checks=CHECKS)

        try:
            each()
        except Exception as exc:  # every operation's failure reported together
            failures[operation.label] = str(exc)[:3000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())

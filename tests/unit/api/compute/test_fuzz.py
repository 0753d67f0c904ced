"""Bad input never gives a 500: schemathesis generates requests from our own OpenAPI
document, for every operation, and sends them to the API in front of a running
all-in-one (bounded: a few examples per operation). Every 4xx carries Nova's error
body."""

from __future__ import annotations

import warnings

from hypothesis import HealthCheck, given, settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis

from tessera.api.compute import build_app

from .conftest import ADMIN

EXAMPLES = 8


def test_no_server_errors_and_nova_error_bodies(cloud):
    schema = schemathesis.openapi.from_asgi("/openapi.json", build_app(cloud.api))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures: list[str] = []
    calls: list[int] = []
    for operation in operations:
        strategy = operation.as_strategy()

        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call(headers=dict(ADMIN, **(case.headers or {})))
            calls.append(response.status_code)
            problem = _problem(response)
            if problem:
                failures.append("%s %s -> %s" % (case.method, case.formatted_path, problem))

        run()
    assert not failures, "\n".join(failures[:20])
    assert len(calls) >= 2 * len(operations)  # the run really sent requests
    print("fuzz: %d operations, %d requests, statuses %s" % (
        len(operations), len(calls), sorted(set(calls))))


def _problem(response) -> str | None:
    if response.status_code >= 500:
        return "%d %s" % (response.status_code, response.text[:200])
    if 400 <= response.status_code < 500 and response.content:
        try:
            body = response.json()
        except ValueError:
            return "%d without a JSON body" % response.status_code
        if not (isinstance(body, dict) and len(body) == 1):
            return "%d body %r" % (response.status_code, body)
        (fault,) = body.values()
        if not isinstance(fault, dict) or fault.get("code") != response.status_code \
                or not fault.get("message"):
            return "%d body %r" % (response.status_code, body)
    return None


"""mock-prometheus: the instant-query API with the answers a test set, as the prometheus source reads it."""

import pytest

from support.manifests import load_program
from support.reference.model import CONTRACT
from support.reference.sources import SourceError, prometheus_value

program = load_program("prometheus_query.py")
QUERY = "sum(vllm_num_requests_waiting)"


@pytest.fixture
def serve(serve_program):
    return lambda: serve_program(program, env={})


def test_a_query_answers_the_value_set_as_one_series_the_source_reads(serve):
    client = serve()
    assert client.get("/set", params={"query": QUERY, "value": "42.5"}).status_code == 200
    reply = client.get("/api/v1/query", params={"query": QUERY})
    body = reply.json()
    assert reply.status_code == 200 and body["status"] == "success"
    assert body["data"]["resultType"] == "vector" and body["data"]["result"][0]["value"][1] == "42.5"
    assert prometheus_value(reply.text, CONTRACT) == 42.5


def test_a_query_without_an_answer_is_an_empty_vector_the_source_reports(serve):
    reply = serve().get("/api/v1/query", params={"query": "up"})
    assert reply.json()["data"] == {"resultType": "vector", "result": []}
    with pytest.raises(SourceError, match="no data returned from Prometheus query"):
        prometheus_value(reply.text, CONTRACT)


def test_bad_requests_are_refused_and_change_nothing(serve):
    client = serve()
    assert client.get("/api/v1/query").status_code == 400
    assert client.get("/set", params={"query": QUERY, "value": "lots"}).status_code == 400
    assert client.get("/set", params={"value": "3"}).status_code == 400
    assert client.get("/status").json() == {}

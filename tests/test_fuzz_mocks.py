"""Fuzzing the mock programs' control endpoints (hypothesis): any query to /set, /set_pattern or
/set_time is taken (200) or refused with 400 and a message, and a refused one changes nothing;
any other path is answered, never dropped."""

from __future__ import annotations

import threading
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from support.manifests import load_program

learning_metrics = load_program("learning_metrics.py")
# program -> (control path -> the parameter names it takes)
PROGRAMS = {
    "vllm_sidecar": (load_program("vllm_sidecar.py"),
                     {"/set": ("gpu_cache", "requests_running", "requests_waiting")}),
    "metrics_server": (load_program("metrics_server.py"),
                       {"/set": ("gpu_cache", "requests_running", "requests_waiting")}),
    "dcgm_server": (load_program("dcgm_server.py"), {"/set": ("gpu_util", "fb_used")}),
    "learning_metrics": (learning_metrics, {"/set": ("gpu_cache", "requests_running", "requests_waiting"),
                                            "/set_pattern": ("mode", "duration"),
                                            "/set_time": ("hour", "day")}),
}

VALUES = st.sampled_from(["0", "1", "50", "85.5", "100", "100.0001", "101", "-1", "-0", "1e3", "1e309", "nan",
                          "NaN", "inf", "-inf", "", " 5", "5 ", "0x10", "1_000", "７", "abc", "normal", "kv_pressure",
                          "batch_spike", "traffic_drain", "manual", "23", "24", "6", "7", "99999999999999999999"]) \
    | st.text(max_size=8)


@pytest.fixture(scope="module")
def clients():
    started = {}
    for name, (program, _) in PROGRAMS.items():
        kwargs = {"clock": lambda: 1_767_607_200.0, "seed": 7} if program is learning_metrics else {}
        server = program.create_server("127.0.0.1", 0, **kwargs)
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        started[name] = (server, httpx.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}", timeout=10))
    yield {name: client for name, (_, client) in started.items()}
    for server, client in started.values():
        client.close()
        server.shutdown()
        server.server_close()


def _state(client: httpx.Client) -> str:
    status = client.get("/status")
    assert status.status_code == 200, status.text
    return status.text


@st.composite
def control_requests(draw) -> tuple[str, str, str]:
    """(program, control path, raw query) with known and unknown names, repeats and odd values."""
    name = draw(st.sampled_from(sorted(PROGRAMS)))
    paths = PROGRAMS[name][1]
    path = draw(st.sampled_from(sorted(paths)))
    keys = st.sampled_from(paths[path]) | st.sampled_from(["x", "GPU_CACHE", "hour", "mode"]) | st.text(max_size=5)
    pairs = draw(st.lists(st.tuples(keys, VALUES), max_size=4))
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    if draw(st.booleans()):
        query = draw(st.sampled_from(["", "&", "=", "gpu_cache", "a=b=c", "%zz=1", "gpu_cache=%ZZ"])) + query
    return name, path, query


@given(request=control_requests())
def test_a_control_request_is_taken_or_refused_with_a_message_and_a_refusal_changes_nothing(clients, request):
    name, path, query = request
    client = clients[name]
    before = _state(client)
    response = client.get(f"{path}?{query}" if query else path)
    assert response.status_code in (200, 400), f"{name} {path}?{query} answered {response.status_code}"
    if response.status_code == 400:
        assert response.text.strip(), f"{name} refused {path}?{query} without saying why"
        assert _state(client) == before, f"{name} changed its state although it refused {path}?{query}"


@given(name=st.sampled_from(sorted(PROGRAMS)),
       path=st.text(alphabet=st.characters(codec="ascii", exclude_characters="?#"), max_size=12))
def test_any_other_path_is_answered(clients, name, path):
    response = clients[name].get("/" + quote(path.lstrip("/"), safe="/"))
    assert response.status_code in (200, 400, 404), f"{name} /{path} answered {response.status_code}"
    assert response.text, f"{name} /{path} answered with an empty body"

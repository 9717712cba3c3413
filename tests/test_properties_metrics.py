"""Reading several metrics from one scraped body gives what reading each alone gives (hypothesis).

`metrics.parse_metrics` reads a body once for all the metrics a scrape feeds (the sources' and the
learning system's vLLM signals); `parse_metric` reads one. Bodies are drawn from the shapes pods
answer with: Prometheus text (labels, comments, blank lines, odd numbers) and JSON objects.
"""

from __future__ import annotations

import json

from hamcrest import assert_that, equal_to
from hypothesis import given, settings
from hypothesis import strategies as st

from support.reference.metrics import MetricNotFound, parse_metric, parse_metrics

NAMES = ["load", "load_total", "vllm:num_requests_running", "q", "q{", "two words", "#load", "load2"]
numbers = st.one_of(st.integers(-9, 99).map(str), st.sampled_from(["0.5", "1e3", "NaN", "+Inf", "1.2.3", "e", "+"]),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr))
labels = st.sampled_from(["", "{}", '{pod="a"}', '{a="}"}', "{x"])
spaces = st.sampled_from([" ", "  ", "\t", ""])
sample_lines = st.builds(lambda lead, name, label, gap, number: f"{lead}{name}{label}{gap}{number}",
                         st.sampled_from(["", "", " ", "# "]), st.sampled_from(NAMES), labels, spaces, numbers)
text_bodies = st.lists(st.one_of(sample_lines, st.just(""), st.just("# HELP load x")), max_size=8).map("\n".join)
json_values = st.one_of(st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=4), st.booleans(),
                        st.sampled_from(["12", "1e2", "NaN", "0x10", "\u2028load 5", "\u2028q{} 3"]))
json_bodies = st.recursive(st.dictionaries(st.sampled_from(NAMES), json_values, max_size=4),
                           lambda inner: st.dictionaries(st.sampled_from(NAMES + ["nested"]), inner, max_size=3),
                           max_leaves=8).map(lambda doc: json.dumps(doc, ensure_ascii=False))
bodies = st.one_of(text_bodies, json_bodies, json_bodies.map(lambda body: "  \n" + body),
                   st.sampled_from(["[1, 2]", "{", "", "null", '"load"']))


def _one_at_a_time(body: str, names: list[str]) -> dict[str, float]:
    found = {}
    for name in names:
        try:
            found[name] = parse_metric(body, name)
        except MetricNotFound:
            pass
    return found


def _exactly(values: dict[str, float]) -> dict[str, str]:
    return {name: repr(value) for name, value in values.items()}   # NaN equals NaN, -0.0 is not 0.0


@settings(max_examples=500)  # a fraction of a second: the odd names and lines need many draws to meet
@given(bodies, st.lists(st.sampled_from(NAMES), unique=True, min_size=1, max_size=5))
def test_reading_metrics_together_is_reading_each_alone(body, names):
    assert_that(_exactly(parse_metrics(body, names)), equal_to(_exactly(_one_at_a_time(body, names))),
                f"the metrics {names} read together from {body!r}")

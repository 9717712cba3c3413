"""Scenario records, JUnit and redaction, on behave-shaped objects made by hand."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from enum import Enum
from types import SimpleNamespace

from support.report.junit import junit_tree
from support.report.record import display_name, scenario_record
from support.report.redact import MASK, Redactor
from support.waiting import WaitTimeout

Status = Enum("Status", "passed failed skipped untested undefined hook_error")


def step(name, status="passed", exception=None, table=None):
    return SimpleNamespace(keyword="Then", name=name, status=Status[status], duration=0.5, filename="f.feature",
                           line=9, table=table, text=None, exception=exception, error_message=None)


def scenario(steps, status="passed", tags=("scaling",), name="Bounds under <load> load -- @1.2 Examples",
             row=None, exception=None):
    return SimpleNamespace(name=name, effective_tags=list(tags), status=Status[status], duration=2.0, line=52,
                           filename="features/scaling.feature", all_steps=steps, _row=row, exception=exception,
                           feature=SimpleNamespace(name="Scaling", filename="features/scaling.feature"))


def test_an_outline_row_is_named_by_its_example_values():
    row = SimpleNamespace(headings=["load", "min"], cells=["extreme", "1"])
    record = scenario_record(scenario([step("x")], row=row, name="Bounds under extreme load -- @1.2 Examples"))
    assert record["name"] == "Bounds under extreme load [load=extreme, min=1]"
    assert record["examples"] == {"load": "extreme", "min": "1"}
    assert display_name("Plain -- @1.1 ", None) == "Plain"


def test_known_gap_tags_are_kept_apart_and_the_failure_is_the_waits_message():
    wait = WaitTimeout("Timed out after 90 s waiting for the desired replicas to rise above 1\n  last seen:  was <1>")
    record = scenario_record(scenario([step("a"), step("b", "failed", wait), step("c", "skipped")], "failed",
                                      tags=("scaling", "known-gap", "quirk.tolerance-as-percent"), name="S"))
    assert record["tags"] == ["scaling"] and record["known_gap"] and record["quirks"] == ["tolerance-as-percent"]
    assert record["failure"] == {"step": "Then b", "message": str(wait), "wait": True}
    case = junit_tree([record]).getroot().find("testsuite/testcase")
    assert case.get("classname") == "Scaling" and case.get("name") == "S"
    failure = case.find("failure")
    assert failure.get("message") == "Timed out after 90 s waiting for the desired replicas to rise above 1"
    assert failure.get("type") == "WaitTimeout" and "last seen:  was <1>" in failure.text
    assert case.find("properties/property[@name='known-gap']").get("value") == "tolerance-as-percent"


def test_a_hook_error_is_reported_with_what_behave_kept():
    record = scenario_record(scenario([step("a", "untested")], "hook_error", name="S",
                                      exception=RuntimeError("cluster gone")))
    assert record["failure"]["message"] == "RuntimeError: cluster gone"
    suite = junit_tree([record]).getroot().find("testsuite")
    assert suite.get("errors") == "1" and suite.find("testcase/error") is not None


def test_the_redactor_masks_known_secrets_keys_headers_and_secret_env_values():
    redactor = Redactor()
    redactor.add("s3cr3t-token-value")
    redactor.add("short")  # too short to mask safely: ignored
    text = ("Authorization: Bearer abc.def.ghi\nclient-key-data: LS0tQUJD\n-----BEGIN EC PRIVATE KEY-----\nMHc\n"
            "-----END EC PRIVATE KEY-----\nmessage: uses s3cr3t-token-value today; short stays")
    masked = redactor.text(text)
    assert "abc.def.ghi" not in masked and "LS0tQUJD" not in masked and "MHc" not in masked
    assert "s3cr3t-token-value" not in masked and "short stays" in masked and MASK in masked
    pod = {"spec": {"containers": [{"env": [{"name": "HF_TOKEN", "value": "hf_abcdefgh"},
                                            {"name": "MODEL", "value": "llama"}]}]}}
    env = redactor.data(pod)["spec"]["containers"][0]["env"]
    assert env == [{"name": "HF_TOKEN", "value": MASK}, {"name": "MODEL", "value": "llama"}]


def test_junit_is_well_formed_xml_with_one_suite_per_feature():
    records = [scenario_record(scenario([step("a")], name=n)) for n in ("A", "B")]
    records[1]["feature"] = "Learning"
    root = ET.fromstring(ET.tostring(junit_tree(records).getroot()))
    assert [s.get("name") for s in root] == ["Scaling", "Learning"] and root.get("tests") == "2"


def test_run_json_is_the_indented_dump_of_the_run_whatever_was_encoded_before(tmp_path):
    from support.report.run import Run

    run = Run.create(tmp_path, banner="b")
    assert json.loads((tmp_path / run.run_id / "run.json").read_text())["scenarios"] == []
    for n in range(3):
        run.add({"name": f"s{n}", "status": "passed", "known_gap": False, "timeline": {"samples": [[n, 1.5]]}})
        assert (tmp_path / run.run_id / "run.json").read_text() == json.dumps(run.to_dict(), indent=1)
    run.scenarios[1] = {"name": "replaced", "status": "failed", "known_gap": True}
    assert run.to_json() == json.dumps(run.to_dict(), indent=1)

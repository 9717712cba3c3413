"""Settings from -D userdata and the environment; old NAMESPACE/CLEANUP honoured; clear errors."""

import pytest

from support.settings import SettingsError, from_sources


def test_defaults_are_local_contract_always_cleanup():
    s = from_sources({}, env={})
    assert (s.target, s.model, s.cleanup, s.time_scale, s.namespace) == ("local", "contract", "always", 1.0, None)
    assert s.may_restart_controller


def test_userdata_wins_over_environment():
    s = from_sources({"target": "cluster", "context": "kind-x", "cleanup": "on-success"},
                     env={"BUDSPEC_TARGET": "local", "CLEANUP": "true"})
    assert (s.target, s.context, s.cleanup) == ("cluster", "kind-x", "on-success")
    assert not s.may_restart_controller


@pytest.mark.parametrize("old, policy", [("true", "always"), ("false", "never"), ("TRUE", "always")])
def test_old_cleanup_variable_is_honoured(old, policy):
    assert from_sources({}, env={"CLEANUP": old}).cleanup == policy


def test_old_namespace_variable_fixed_name_and_prefix():
    assert from_sources({}, env={"NAMESPACE": "llm-test"}).namespace == "llm-test"
    prefixed = from_sources({}, env={"NAMESPACE": "team-a-"})
    assert prefixed.namespace is None and prefixed.namespace_prefix == "team-a"


@pytest.mark.parametrize("userdata, fix", [
    ({"target": "kind"}, "use one of local, cluster"),
    ({"cleanup": "sometimes"}, "use one of always, on-success, never"),
    ({"time_scale": "fast"}, "is not a number"),
    ({"time_scale": "0"}, "must be greater than 0"),
    ({"model": "latest"}, "use one of contract, as-built"),
    ({"namespace": "kube-system"}, "is refused"),
    ({"namespace": "Bad_Name"}, "not a valid namespace name"),
    ({"tagret": "local"}, "unknown setting(s) tagret"),
    ({"restart_controller": "maybe"}, "not a yes/no value"),
    ({"quirks": "tolerance-as-percent"}, "add -D model=as-built"),
    ({"model": "as-built", "target": "cluster", "quirks": "tolerance-as-percent"}, "use the local target"),
    ({"model": "as-built", "quirks": "tolerance-as-percent,no-such-quirk"}, "unknown quirk(s) no-such-quirk"),
    ({"model": "as-built", "quirks": ","}, "no quirk named"),
])
def test_bad_values_name_the_fix(userdata, fix):
    with pytest.raises(SettingsError, match=fix.replace("(", r"\(").replace(")", r"\)")):
        from_sources(userdata, env={})


def test_quirks_switch_on_only_the_named_departures_of_the_as_built_model():
    settings = from_sources({"model": "as-built", "quirks": "tolerance-as-percent, llm-metrics-zero"}, env={})
    assert settings.quirks == {"tolerance-as-percent", "llm-metrics-zero"}
    assert "quirks:    llm-metrics-zero, tolerance-as-percent" in settings.summary()
    assert from_sources({"model": "as-built"}, env={}).quirks is None  # all of them
    assert from_sources({"model": "as-built"}, env={"BUDSPEC_QUIRKS": "fixed-lookahead"}).quirks == {"fixed-lookahead"}


def test_bad_old_cleanup_variable():
    with pytest.raises(SettingsError, match="CLEANUP=maybe"):
        from_sources({}, env={"CLEANUP": "maybe"})


def test_summary_names_target_and_namespace():
    text = from_sources({"target": "cluster", "context": "prod"}, env={}).summary()
    assert "target:    cluster" in text and "prod" in text and "budspec-<feature>-<random>" in text


# -- which controller profile a cluster run expects (audit item 9) ----------------------------------

def test_a_cluster_run_is_told_which_controller_profile_to_expect():
    from support.settings import from_sources

    assert from_sources({"target": "cluster"}, {}).expected_profile == "contract"
    assert from_sources({"target": "cluster", "expect": "as-built"}, {}).expected_profile == "as-built"
    assert from_sources({"target": "cluster"}, {"BUDSPEC_EXPECT": "as-built"}).expected_profile == "as-built"
    assert "expect:    as-built" in from_sources({"target": "cluster", "expect": "as-built"}, {}).summary()


def test_on_the_embedded_cluster_the_model_is_what_is_expected():
    from support.settings import from_sources

    assert from_sources({"model": "as-built", "expect": "contract"}, {}).expected_profile == "as-built"


def test_an_unknown_profile_names_the_choices():
    import pytest

    from support.settings import SettingsError, from_sources

    with pytest.raises(SettingsError, match="-D expect=buggy is not allowed: use one of contract, as-built"):
        from_sources({"target": "cluster", "expect": "buggy"}, {})


def test_an_external_controller_is_never_restarted_by_the_suite():
    from support.settings import from_sources

    settings = from_sources({"target": "cluster", "controller": "external", "restart_controller": "yes"}, {})
    assert settings.controller == "external"
    assert settings.may_restart_controller is False
def test_progress_and_reports_settings():
    from support.settings import SettingsError, from_sources
    settings = from_sources({"progress": "always", "reports": "/tmp/r"}, env={})
    assert settings.progress == "always" and str(settings.reports) == "/tmp/r"
    assert from_sources({}, env={}).progress == "auto"
    import pytest
    with pytest.raises(SettingsError, match="-D progress=loud is not allowed: use one of auto, always, never"):
        from_sources({"progress": "loud"}, env={})

"""Sentences about the scaling strategies: a calm KPA scaler, and the HPA a scaler hands its workload to."""

from behave import given, then, when
from hamcrest import (assert_that, contains_exactly, equal_to, greater_than_or_equal_to, has_entries, is_,
                      less_than_or_equal_to)

CALM_FOR = 30


STRATEGIES = ("HPA", "KPA", "BudScaler")


@given("a {strategy} scaler targets {target:d}% of the requested CPU and adds at most one pod a minute")
def step_strategy_on_cpu(context, strategy, target):
    """kpa-test's scaler (1 to 10 replicas, no stabilization windows) with this strategy, on CPU."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: say one of {', '.join(STRATEGIES)}")
    context.world.apply("kpa-test", spec={
        "scalingStrategy": strategy,
        "metricsSources": [{"metricSourceType": "resource", "targetMetric": "cpu", "targetValue": str(target)}],
        "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0,
                                 "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
                     "scaleDown": {"stabilizationWindowSeconds": 0}}})


@then("within {within:Duration} the desired replicas reach at least {least:d} and never exceed {most:d}")
def step_reach_between(context, within, least, most):
    world, seen = context.world, []

    def desired() -> int:
        seen.append(world.desired_replicas() or 0)
        return seen[-1]
    world.poller.consistently(desired, less_than_or_equal_to(most), for_=within,
                              what=f"the desired replicas, never above {most}")
    assert_that(max(seen, default=0), greater_than_or_equal_to(least),
                f"the highest desired replicas within {within:g} seconds (seen: {seen})")


@given("the KPA scaler is calm at 1 replica")
def step_kpa_calm(context):
    context.execute_steps(f'''
        Given the scaler configured in "kpa-test" is applied
        And the scaler is Ready
        And the desired replicas stay at 1 for {CALM_FOR} seconds
    ''')


def _hpa_summary(world) -> dict:
    hpa = world.scaler_hpa()
    if hpa is None:
        return {}
    spec = hpa.get("spec") or {}
    cpu = [m.get("resource", {}).get("target", {}).get("averageUtilization") for m in spec.get("metrics") or []
           if m.get("type") == "Resource" and m.get("resource", {}).get("name") == "cpu"]
    ref = spec.get("scaleTargetRef") or {}
    return {"target": f"{ref.get('kind')}/{ref.get('name')}", "min": spec.get("minReplicas"),
            "max": spec.get("maxReplicas"), "cpu": cpu}


@then("the scaler's HorizontalPodAutoscaler keeps the inference deployment between {low:d} and {high:d} replicas "
      "at {cpu:d}% CPU within {within:Duration}")
@given("the scaler's HorizontalPodAutoscaler keeps the inference deployment between {low:d} and {high:d} replicas "
       "at {cpu:d}% CPU within {within:Duration}")
def step_hpa(context, low, high, cpu, within):
    world = context.world
    wanted = {"target": f"Deployment/{world.workload.deployment}", "min": low, "max": high, "cpu": [cpu]}
    world.poller.polling().eventually(lambda: _hpa_summary(world), equal_to(wanted), within=within,
                                      what="the scaler's HorizontalPodAutoscaler (target, bounds, CPU target)")


@then("the scaler's HorizontalPodAutoscaler belongs to the scaler")
def step_hpa_owned(context):
    world = context.world
    owners = (world.scaler_hpa() or {}).get("metadata", {}).get("ownerReferences") or []
    assert_that([(o.get("kind"), o.get("uid"), o.get("controller")) for o in owners],
                contains_exactly(("BudAIScaler", world.scaler_uid(), True)),
                "the HorizontalPodAutoscaler's owner (so it goes when the scaler goes)")


@then("the scaler's HorizontalPodAutoscaler is gone within {within:Duration}")
def step_hpa_gone(context, within):
    world = context.world
    world.poller.polling().eventually(lambda: world.scaler_hpa() is None, is_(True), within=within,
                                      what="the scaler's HorizontalPodAutoscaler to be deleted")


@when("the scaler switches to the {strategy} strategy")
def step_switch(context, strategy):
    context.world.patch_scaler({"scalingStrategy": strategy})

"""Cost-aware scaling (catalogue §5.2): price tables, the budget, and status.costStatus.

Each tick with ``costConfig.enabled`` the controller prices one replica-hour of the
instance type it assumes, ``g5.xlarge``, in the provider's table (``aws`` when
unset) at the spot price if ``preferSpotInstances`` else on demand, and hands
BudScaler (step 5, :func:`support.reference.budscaler.recommend`) the current cost
per hour, the budget per hour and the price per replica.

Contract decisions (the code's departures are quirks, §7.8 and §7.16):

- **Providers.** The CRD lets ``cloudProvider`` choose a price table, but BudAIScaler
  names no instance type other than ``g5.xlarge``, which only the AWS table has.
  AWS is priced; with ``gcp`` or ``azure`` there is no price, so no cost limit can
  apply and no costStatus is written (the controller logs ``unknown instance type:
  g5.xlarge``). Picking a GCP or Azure instance for BudAIScaler would be the spec
  inventing a product decision; ignoring a budget without a word would be worse.
  The contract scales on load as if no budget were set and says so: the reason
  carries :func:`unpriced_note` and a Warning Event is recorded. As built the budget
  is dropped silently (quirk ``cost-unpriced-silently``).
- **No budget.** With no ``budgetPerHour`` (or 0) and no ``budgetPerDay`` there is
  nothing to hold to: no ceiling, as the code's own calculator says ("within budget
  (no budget set)"). As built the ceiling becomes 1 replica (``cost-without-budget-caps``).
- **budgetPerDay** caps like an hourly budget of a 24th of it, as the calculator's
  ``maxD = trunc((daily / 24) / price)``; with both set the smaller applies. As built
  it is ignored (``budget-per-day-ignored``). The CRD has no monthly budget field
  (nor does the controller read the ``cost-max-*`` annotations it declares), so
  there is no monthly cap to specify.
- **Price per replica** is the table's price; as built it is current cost / current
  replicas, NaN at 0 replicas, which switches every cost limit off
  (``cost-nan-at-zero-replicas``).
- **status.costStatus** is written for the replicas the scaler settles on this tick;
  as built never (``cost-status-never-written``).
- ``spotFallbackToOnDemand`` and ``costOptimizationMode`` change nothing (the code's
  behaviour: nothing tells the scaler spot capacity is short).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .budscaler import CostMetrics
from .durations import parse_quantity
from .gomath import go_int, go_round
from .model import Model
from .spec import CostConfig

DEFAULT_PROVIDER = "aws"
DEFAULT_INSTANCE_TYPE = "g5.xlarge"
HOURS_PER_DAY = 24
UNLIMITED_REPLICAS = 999


@dataclass(frozen=True)
class InstancePrice:
    on_demand: float   # USD per hour
    spot: float
    gpus: int
    gpu_type: str


def _table(rows: dict[str, tuple[float, float, int, str]]) -> dict[str, InstancePrice]:
    return {name: InstancePrice(*row) for name, row in rows.items()}


PRICES: dict[str, dict[str, InstancePrice]] = {
    "aws": _table({
        "p4d.24xlarge": (32.77, 9.83, 8, "A100"), "p4de.24xlarge": (40.97, 12.29, 8, "A100"),
        "p3.2xlarge": (3.06, 0.92, 1, "V100"), "p3.8xlarge": (12.24, 3.67, 4, "V100"),
        "p3.16xlarge": (24.48, 7.34, 8, "V100"), "g5.xlarge": (1.02, 0.31, 1, "A10G"),
        "g5.2xlarge": (1.21, 0.36, 1, "A10G"), "g5.4xlarge": (1.62, 0.49, 1, "A10G"),
        "g5.12xlarge": (5.67, 1.70, 4, "A10G"), "g4dn.xlarge": (0.526, 0.16, 1, "T4"),
        "g4dn.12xlarge": (3.912, 1.17, 4, "T4"),
    }),
    "gcp": _table({
        "a2-highgpu-1g": (3.67, 1.10, 1, "A100"), "a2-highgpu-2g": (7.35, 2.20, 2, "A100"),
        "a2-highgpu-4g": (14.69, 4.41, 4, "A100"), "a2-highgpu-8g": (29.39, 8.82, 8, "A100"),
        "n1-standard-4-t4": (0.55, 0.17, 1, "T4"),
    }),
    "azure": _table({
        "Standard_NC6s_v3": (3.06, 0.92, 1, "V100"), "Standard_NC12s_v3": (6.12, 1.84, 2, "V100"),
        "Standard_NC24s_v3": (12.24, 3.67, 4, "V100"),
        "Standard_ND96asr_v4": (27.20, 8.16, 8, "A100"),
    }),
}


class UnknownInstanceType(LookupError):
    """The provider's table has no such instance type (the controller's error text)."""

    def __init__(self, instance_type: str):
        super().__init__(f"unknown instance type: {instance_type}")


def price_per_hour(provider: str, instance_type: str, spot: bool) -> float:
    """One instance-hour at the spot or on-demand price; UnknownInstanceType if not listed."""
    entry = PRICES.get(provider or DEFAULT_PROVIDER, {}).get(instance_type)
    if entry is None:
        raise UnknownInstanceType(instance_type)
    return entry.spot if spot else entry.on_demand


def hourly_cost(provider: str, instance_type: str, replicas: int, spot: bool) -> float:
    return price_per_hour(provider, instance_type, spot) * replicas


def projected_daily_cost(hourly: float) -> float:
    return HOURS_PER_DAY * hourly


def spot_savings(provider: str, instance_type: str) -> float:
    """1 − spot / on-demand; 0 for an unknown type or a zero price."""
    entry = PRICES.get(provider or DEFAULT_PROVIDER, {}).get(instance_type)
    if entry is None or entry.on_demand == 0:
        return 0.0
    return 1 - entry.spot / entry.on_demand


@dataclass(frozen=True)
class Budget:
    per_hour: float = 0.0   # 0 = not set
    per_day: float = 0.0

    def is_set(self) -> bool:
        return self.per_hour > 0 or self.per_day > 0


def budget_of(config: CostConfig) -> Budget:
    return Budget(_quantity(config.budget_per_hour), _quantity(config.budget_per_day))


def _quantity(value) -> float:
    """A budget quantity as a float; unset (or unparseable, which the CRD rejects) is 0."""
    if value is None:
        return 0.0
    try:
        return parse_quantity(value)
    except ValueError:
        return 0.0


def hourly_budget(budget: Budget, model: Model) -> float:
    """The budget BudScaler holds an hour to: the smaller of per hour and per day / 24 (0 = none)."""
    if model.has("budget-per-day-ignored"):
        return budget.per_hour
    limits = [b for b in (budget.per_hour, budget.per_day / HOURS_PER_DAY) if b > 0]
    return min(limits) if limits else 0.0


def is_within_budget(cost_per_hour: float, budget: Budget | None) -> bool:
    """The calculator's check: within both limits that are set (no budget: always)."""
    if budget is None:
        return True
    if budget.per_hour > 0 and cost_per_hour > budget.per_hour:
        return False
    return not (budget.per_day > 0 and projected_daily_cost(cost_per_hour) > budget.per_day)


@dataclass(frozen=True)
class Advice:
    replicas: int
    cost_per_hour: float
    reason: str
    budget_utilization: float = 0.0


def budget_advice(current: int, desired: int, provider: str, instance_type: str, spot: bool,
                  budget: Budget | None) -> Advice:
    """The calculator's scaling recommendation: how far a scale-up fits both limits."""
    try:
        price = price_per_hour(provider, instance_type, spot)
    except UnknownInstanceType:
        return Advice(desired, 0.0, "unknown instance type, allowing scaling")
    if desired <= current:
        return Advice(desired, price * desired, "scale down always allowed")
    if budget is None or not budget.is_set():
        return Advice(desired, price * desired, "within budget (no budget set)")
    max_hourly = go_int(budget.per_hour / price) if budget.per_hour > 0 else UNLIMITED_REPLICAS
    max_daily = (go_int(budget.per_day / HOURS_PER_DAY / price) if budget.per_day > 0
                 else UNLIMITED_REPLICAS)
    limit = min(max_hourly, max_daily)
    replicas = max(current, min(desired, limit))
    utilization = price * replicas / budget.per_hour * 100 if budget.per_hour > 0 else 0.0
    reason = "within budget" if replicas == desired else f"limited by budget (max {limit} replicas)"
    return Advice(replicas, price * replicas, reason, utilization)


# --- what one reconcile uses ------------------------------------------------------------

def replica_price(config: CostConfig | None) -> float | None:
    """The price of one replica-hour for an enabled cost config; None when cost is off or unpriced."""
    if config is None or not config.enabled:
        return None
    try:
        return price_per_hour(config.cloud_provider, DEFAULT_INSTANCE_TYPE,
                              config.prefer_spot_instances)
    except UnknownInstanceType:
        return None


def cost_metrics(config: CostConfig | None, current: int, model: Model) -> CostMetrics | None:
    """BudScaler's step-5 input for ``current`` replicas; None means no cost limit this tick."""
    price = replica_price(config)
    if price is None:
        return None
    budget = hourly_budget(budget_of(config), model)
    if budget <= 0 and not model.has("cost-without-budget-caps"):
        return None
    current_cost = price * current
    if model.has("cost-nan-at-zero-replicas"):
        per_replica = current_cost / current if current else math.nan
    else:
        per_replica = price
    return CostMetrics(current_cost, budget, per_replica)


def cost_status(config: CostConfig | None, replicas: int, model: Model) -> dict | None:
    """``status.costStatus`` for ``replicas``, or None to leave it out (no price, or as built)."""
    price = replica_price(config)
    if price is None or model.has("cost-status-never-written"):
        return None
    hourly = price * replicas
    budget = hourly_budget(budget_of(config), model)
    spot = config.prefer_spot_instances
    return {"currentHourlyCost": f"{hourly:.2f}",
            "projectedDailyCost": f"{projected_daily_cost(hourly):.2f}",
            "budgetUtilization": go_int(go_round(hourly / budget * 100)) if budget > 0 else 0,
            "spotInstancesInUse": replicas if spot else 0,
            "onDemandInstancesInUse": 0 if spot else replicas}


def unpriced_note(config: CostConfig | None, model: Model) -> str | None:
    """What the reason says when a budget is set that the scaler cannot price (contract); else None."""
    if config is None or not config.enabled or model.has("cost-unpriced-silently"):
        return None
    if replica_price(config) is not None or not budget_of(config).is_set():
        return None
    return (f"no price for {DEFAULT_INSTANCE_TYPE} replicas on {config.cloud_provider or DEFAULT_PROVIDER}: "
            "budget not applied")

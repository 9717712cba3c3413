"""One typed settings object, built from behave's `-D` userdata and the environment.

Userdata wins over the environment; the old suite's `NAMESPACE` and `CLEANUP`
variables are still honoured. Every bad value fails with a message naming the fix.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from support.chaos import ChaosError, ChaosPlan, parse_chaos
from support.images import ImageSettingError, ImageSource, load_mapping
from support.reference.model import QUIRKS

TARGETS = ("local", "cluster")
CLEANUP_POLICIES = ("always", "on-success", "never")
MODELS = ("contract", "as-built")
CONTROLLERS = ("pod", "external")
PROGRESS = ("auto", "always", "never")
CONTROLLER_NAMESPACE = "budaiscaler-system"
PROTECTED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease", CONTROLLER_NAMESPACE})

_KNOWN_KEYS = {"target", "context", "kubeconfig", "namespace", "cleanup", "time_scale", "model", "quirks", "expect",
               "image_registry", "image_map", "controller", "poll_interval", "artifacts", "controller_namespace",
               "restart_controller", "progress", "reports", "chaos"}


class SettingsError(ValueError):
    """A setting has a value the suite cannot use; the message names the fix."""


@dataclass(frozen=True)
class Settings:
    target: str = "local"
    context: str | None = None
    kubeconfig: str | None = None
    namespace: str | None = None          # fixed namespace name (old NAMESPACE env), else generated
    namespace_prefix: str = "budspec"
    cleanup: str = "always"
    time_scale: float = 1.0
    model: str = "contract"               # local target only: the reference model's behaviour
    quirks: frozenset[str] | None = None  # model as-built only: just these departures (None: all of them)
    expect: str = "contract"              # cluster target: which profile the real controller is expected to show
    images: ImageSource = field(default_factory=ImageSource)  # where mock images come from (-D image_registry/_map)
    poll_interval: float = 1.0
    artifacts: Path = field(default=Path("artifacts"))
    controller_namespace: str = CONTROLLER_NAMESPACE
    restart_controller: bool | None = None  # None: allowed on local, refused on cluster
    controller: str = "pod"               # "external": a controller run outside the cluster (make run): no pod to find
    progress: str = "auto"                # long waits: auto (real clock only), always, never
    reports: Path = field(default=Path("reports"))  # each run writes reports/<run-id>/
    chaos: ChaosPlan | None = None        # local target only: faults the embedded cluster injects (None: none)

    @property
    def is_local(self) -> bool:
        return self.target == "local"

    @property
    def expected_profile(self) -> str:
        """contract or as-built: under as-built the @known-gap failures are reported apart."""
        return self.model if self.is_local else self.expect

    @property
    def may_restart_controller(self) -> bool:
        if self.controller == "external":
            return False  # the suite cannot restart a process it does not know
        return self.is_local if self.restart_controller is None else self.restart_controller

    def summary(self) -> str:
        lines = [f"target:    {self.target}"]
        if self.is_local:
            lines.append(f"model:     {self.model} (reference BudAIScaler on virtual time)")
            if self.quirks is not None:
                lines.append(f"quirks:    {', '.join(sorted(self.quirks)) or 'none'} (only these departures)")
            if self.chaos is not None:
                lines.append(f"chaos:     {self.chaos}")
        else:
            lines.append(f"context:   {self.context or '(current context)'}")
            lines.append(f"kubeconfig: {self.kubeconfig or os.environ.get('KUBECONFIG') or '~/.kube/config'}")
            lines.append(f"expect:    {self.expect} (-D expect=as-built reports @known-gap failures apart)")
            if self.images:
                lines.append(f"images:    from {self.images.registry or 'their own registries'}"
                             + (f", {len(self.images.mapping)} mapped" if self.images.mapping else ""))
        lines.append(f"namespace: {self.namespace or self.namespace_prefix + '-<feature>-<random>'} (cleanup: {self.cleanup})")
        if self.time_scale != 1.0:
            lines.append(f"deadlines: x{self.time_scale:g}")
        return "\n".join(lines)


def from_sources(userdata: Mapping[str, str], env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `-D` userdata (wins) and environment variables."""
    env = os.environ if env is None else env
    _reject_unknown(userdata)
    target = _choice("target", userdata.get("target", env.get("BUDSPEC_TARGET", "local")), TARGETS)
    namespace, prefix = _namespace(userdata.get("namespace", env.get("NAMESPACE")))
    model = _choice("model", userdata.get("model", env.get("BUDSPEC_MODEL", "contract")), MODELS)
    return Settings(
        target=target,
        context=userdata.get("context") or env.get("BUDSPEC_CONTEXT") or None,
        kubeconfig=userdata.get("kubeconfig") or env.get("KUBECONFIG") or None,
        namespace=namespace,
        namespace_prefix=prefix,
        cleanup=_cleanup(userdata.get("cleanup"), env.get("CLEANUP")),
        time_scale=_positive_float("time_scale", userdata.get("time_scale", env.get("BUDSPEC_TIME_SCALE", "1"))),
        model=model,
        quirks=_quirks(userdata.get("quirks", env.get("BUDSPEC_QUIRKS")), target, model),
        expect=_choice("expect", userdata.get("expect", env.get("BUDSPEC_EXPECT", "contract")), MODELS),
        images=_images(userdata.get("image_registry", env.get("BUDSPEC_IMAGE_REGISTRY")),
                       userdata.get("image_map", env.get("BUDSPEC_IMAGE_MAP"))),
        poll_interval=_positive_float("poll_interval", userdata.get("poll_interval", "1")),
        artifacts=Path(userdata.get("artifacts", env.get("BUDSPEC_ARTIFACTS", "artifacts"))),
        controller_namespace=userdata.get("controller_namespace", CONTROLLER_NAMESPACE),
        restart_controller=_optional_bool("restart_controller", userdata.get("restart_controller")),
        controller=_choice("controller", userdata.get("controller", env.get("BUDSPEC_CONTROLLER", "pod")), CONTROLLERS),
        progress=_choice("progress", userdata.get("progress", env.get("BUDSPEC_PROGRESS", "auto")), PROGRESS),
        reports=Path(userdata.get("reports", env.get("BUDSPEC_REPORTS", "reports"))),
        chaos=_chaos(userdata.get("chaos", env.get("BUDSPEC_CHAOS")), target),
    )


def _chaos(value: str | None, target: str) -> ChaosPlan | None:
    try:
        plan = parse_chaos(value)
    except ChaosError as error:
        raise SettingsError(str(error)) from None
    if plan is not None and target != "local":
        raise SettingsError(f"-D chaos={value} injects faults into the embedded cluster: use the local target")
    return plan


def _quirks(value: str | None, target: str, model: str) -> frozenset[str] | None:
    """`-D quirks=a,b`: the as-built model with only those departures (each alone shows what it breaks)."""
    if value is None:
        return None
    if target != "local" or model != "as-built":
        raise SettingsError(f"-D quirks={value} switches departures of the embedded as-built model: "
                            "add -D model=as-built (and use the local target)")
    names = frozenset(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(names - set(QUIRKS))
    if unknown or not names:
        raise SettingsError(f"-D quirks={value}: {'unknown quirk(s) ' + ', '.join(unknown) if unknown else 'no quirk named'}"
                            f"; use one or more (comma-separated) of {', '.join(sorted(QUIRKS))}")
    return names


def _images(registry: str | None, mapping: str | None) -> ImageSource:
    try:
        return ImageSource(registry or None, load_mapping(mapping) if mapping else {})
    except ImageSettingError as error:
        raise SettingsError(str(error)) from None


def _reject_unknown(userdata: Mapping[str, str]) -> None:
    unknown = sorted(k for k in userdata if k not in _KNOWN_KEYS and not k.startswith("behave."))
    if unknown:
        raise SettingsError(f"unknown setting(s) {', '.join(unknown)}: use -D with one of {', '.join(sorted(_KNOWN_KEYS))}")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SettingsError(f"-D {name}={value} is not allowed: use one of {', '.join(allowed)}")
    return value


def _positive_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"-D {name}={value} is not a number: use e.g. -D {name}=2") from None
    if not math.isfinite(number) or number <= 0:
        raise SettingsError(f"-D {name}={value} must be greater than 0 (and finite)")
    return number


def _optional_bool(name: str, value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise SettingsError(f"-D {name}={value} is not a yes/no value: use -D {name}=yes or -D {name}=no")


def _cleanup(userdata_value: str | None, old_env: str | None) -> str:
    if userdata_value is not None:
        return _choice("cleanup", userdata_value, CLEANUP_POLICIES)
    if old_env is None:
        return "always"
    lowered = old_env.strip().lower()
    if lowered in ("true", "1", "yes"):
        return "always"
    if lowered in ("false", "0", "no"):
        return "never"
    if lowered in CLEANUP_POLICIES:
        return lowered
    raise SettingsError(f"CLEANUP={old_env} is not understood: use CLEANUP=true|false or -D cleanup=always|on-success|never")


def _namespace(value: str | None) -> tuple[str | None, str]:
    """`NAMESPACE=foo` -> fixed name `foo`; `NAMESPACE=foo-` -> prefix for generated names."""
    if not value:
        return None, "budspec"
    if value.endswith("-"):
        prefix = value.rstrip("-")
        _check_dns_label(prefix, "NAMESPACE prefix")
        return None, prefix
    _check_dns_label(value, "NAMESPACE")
    if value in PROTECTED_NAMESPACES:
        raise SettingsError(f"namespace {value!r} is refused: the suite deletes its namespace after a scenario; "
                            "choose a namespace of its own, or leave NAMESPACE unset for a generated one")
    return value, value


def _check_dns_label(value: str, what: str) -> None:
    import re
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?", value):
        raise SettingsError(f"{what} {value!r} is not a valid namespace name: use lower-case letters, digits and '-'")

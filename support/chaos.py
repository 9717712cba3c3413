"""`-D chaos=...`: which faults the embedded cluster injects (support/localcluster/chaos.py injects them).

    errors,latency,pod-kill,controller-restart,watch-drop   or all;   options rate=0..1 (0.05), seed=N (1)
"""

from __future__ import annotations

from dataclasses import dataclass

FAULTS = ("errors", "latency", "pod-kill", "controller-restart", "watch-drop")
DEFAULT_RATE = 0.05


class ChaosError(ValueError):
    pass


@dataclass(frozen=True)
class ChaosPlan:
    faults: frozenset[str]
    rate: float = DEFAULT_RATE
    seed: int = 1

    def has(self, fault: str) -> bool:
        return fault in self.faults

    def __str__(self) -> str:
        return f"{','.join(f for f in FAULTS if f in self.faults)} (rate {self.rate:g}, seed {self.seed})"


def parse_chaos(text: str | None) -> ChaosPlan | None:
    """`errors,latency,rate=0.1,seed=7` or `all`; None or "" or `off`: no chaos."""
    if text is None or text.strip() in ("", "off", "none"):
        return None
    faults: set[str] = set()
    options: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if "=" in part:
            key, _, value = part.partition("=")
            options[key.strip()] = value.strip()
        elif part == "all":
            faults.update(FAULTS)
        elif part in FAULTS:
            faults.add(part)
        else:
            raise ChaosError(f"-D chaos={text}: unknown fault {part!r}; choose from {', '.join(FAULTS)} or all "
                             "(options rate=0..1, seed=N)")
    unknown = set(options) - {"rate", "seed"}
    if unknown:
        raise ChaosError(f"-D chaos={text}: unknown option(s) {', '.join(sorted(unknown))}; use rate=0..1, seed=N")
    if not faults:
        raise ChaosError(f"-D chaos={text}: name at least one fault ({', '.join(FAULTS)}) or all")
    try:
        rate, seed = float(options.get("rate", DEFAULT_RATE)), int(options.get("seed", 1))
    except ValueError:
        raise ChaosError(f"-D chaos={text}: rate must be a number in 0..1 and seed a whole number") from None
    if not 0 <= rate <= 1:
        raise ChaosError(f"-D chaos={text}: rate must be between 0 and 1, e.g. rate=0.05")
    return ChaosPlan(frozenset(faults), rate, seed)

"""The reference BudAIScaler controller as a Kubernetes API client (official `kubernetes` client only).

`Operator` (operator.py) runs it; `Behaviour` (behaviour.py) is what it decides
with; `python -m support.reference.operator` runs it against any cluster. No
module here imports the embedded cluster (tests/test_operator_isolation.py).
"""

from support.operator.behaviour import Behaviour, behaviour_named
from support.operator.operator import FINALIZER, Operator

__all__ = ["Behaviour", "FINALIZER", "Operator", "behaviour_named"]

"""The reference learning system (§5.5): seasonal profiles, accuracy tracking,
calibration, pattern detection and the ConfigMap format, behind ``LearningSystem``.
"""
from support.reference.learning.patterns import LLMMetrics
from support.reference.learning.system import LearningSystem

__all__ = ["LLMMetrics", "LearningSystem"]

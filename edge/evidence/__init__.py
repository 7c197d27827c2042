"""Evidence of violations: annotated snapshots, stream-copied clips, retention.

See docs/evidence.md for the layout on disk and the guarantees.
"""

from edge.evidence.recorder import EvidenceRecorder
from edge.evidence.retention import Retention, SweepResult
from edge.evidence.types import EvidenceReady, EvidenceStats

__all__ = ["EvidenceReady", "EvidenceRecorder", "EvidenceStats", "Retention", "SweepResult"]

"""The file driver: `replay` (and the zone editor's preview) over recorded video."""

from edge.replay.driver import ReplayOptions, ReplayResult, replay_origin, run_replay
from edge.replay.source import FileSource, SourceError

__all__ = ["FileSource", "ReplayOptions", "ReplayResult", "SourceError", "replay_origin",
           "run_replay"]

"""The live runtime (`sitewarden run`): supervisor, shared inference, motion gate, stats."""

from edge.runtime.supervisor import Supervisor

__all__ = ["Supervisor"]

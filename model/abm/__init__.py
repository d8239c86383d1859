"""The Mesa driver: one run as a ``mesa.Model`` with four state-actor agents."""

from .agents import StateActor
from .model import AllianceModel

__all__ = ["AllianceModel", "StateActor"]

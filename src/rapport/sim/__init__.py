"""A simulated bank: customers who behave, change, get defrauded and answer back.

The engine never imports this package; the simulation reaches the engine only through v1
events and, in closed loop, through a decision function.
"""

from rapport.sim.bank import CampaignPolicy, SimulatedBank
from rapport.sim.config import SimConfig
from rapport.sim.offers import DecisionFunction, SimDecision

__all__ = ["CampaignPolicy", "DecisionFunction", "SimConfig", "SimDecision", "SimulatedBank"]

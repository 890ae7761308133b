"""Process and governance analytics: delivery flow."""

from productops.pillars.process.flow import GRAINS, Grain, lead_time, throughput

__all__ = ["GRAINS", "Grain", "lead_time", "throughput"]

"""Governance analytics: one definition of each metric, used on real and simulated data."""

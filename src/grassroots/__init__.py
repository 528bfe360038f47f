"""Grassroots: the project system of government-purchased public services, end to end."""

__version__ = "0.1.0"

"""The policy simulator: the project system run on synthetic agents, measured by the governance metrics."""

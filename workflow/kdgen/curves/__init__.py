"""Curve fitting (scipy): exponential decay of replication, one-shot estimates, size models."""

"""Agents (templates): DAGs of tiles, edited through ordered, atomic operations."""

"""Transformers of resource identifiers between local use and central storage."""

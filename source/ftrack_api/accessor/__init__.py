"""Accessors: ways of reading and writing the data a location stores."""

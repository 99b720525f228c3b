"""Structures: how a location lays out the data of components it stores."""

"""Entity classes and the factory building them from server schemas."""

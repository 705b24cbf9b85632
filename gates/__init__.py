"""The rules of a gate, as pure functions."""

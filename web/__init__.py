"""Lockgate's front ends: the Flask portal, the JSON API and the `lockgate` command line."""

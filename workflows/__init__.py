"""Where projects actually move: records, the unit of work, state machines and service verbs."""

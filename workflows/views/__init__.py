"""Read models for pages, queues and the command line's listings."""

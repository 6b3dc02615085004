"""Background work: job kinds, the queue, the runner, and the sweep that recovers lost work."""

"""Running a soak: the configuration and its parameters, the session that spawns and watches the workers,
injected faults, signals, resources and the live monitor."""

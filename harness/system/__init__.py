"""The machine the suite runs on: child processes, loopback ports, waits, and the tools it needs."""

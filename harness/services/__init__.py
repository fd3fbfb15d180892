"""Real services on loopback, each a ManagedProcess with a readiness check."""

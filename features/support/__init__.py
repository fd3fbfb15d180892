"""What the hooks and the steps share besides the harness. behave puts features/ on sys.path for the whole
run and loads step modules only from features/steps, so this package is importable and never run as steps."""

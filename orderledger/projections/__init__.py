"""Read models: pure folds of the event log, their tables, the runner, rebuild and verify."""

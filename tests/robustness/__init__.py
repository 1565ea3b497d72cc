"""The robustness suite: generated events, tampering attempts, crashes, logs."""

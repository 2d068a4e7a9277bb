"""Reusable analysis of rewards and runs: offline PR, calibration, reward precision, curves."""

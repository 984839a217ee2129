"""Measurement: competency levels with honest uncertainty from ratings and SJT answers."""

"""Sensor analytics: alarm conditions on readings, the hourly AQI, silence."""

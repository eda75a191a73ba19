"""Analytics stages: workers that turn streams into results (vision, triage, sensor alarms)."""

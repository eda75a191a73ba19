"""Citizen report triage: category, department, urgency, confidence and cues, for Vietnamese with
diacritics, Vietnamese typed without them, and English."""

"""Grades per level: rule-based (literature thresholds in criteria.yaml) and learned models."""

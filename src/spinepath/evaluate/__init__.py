"""Evaluation of the imaging core against labelled data laid out like ../shared/data."""

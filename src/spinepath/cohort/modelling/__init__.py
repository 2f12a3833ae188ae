"""Modelling of cohort feature tables: feature filters, model pipelines, metrics, explanations
and the validation report. See docs/design/modelling.md."""

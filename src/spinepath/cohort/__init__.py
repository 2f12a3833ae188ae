"""Cohort research workflow: feature tables of many studies -> harmonisation -> models ->
validation report.

Submodules (each with one job):

- ``harmonise``   ComBat across sites (scanners, vendors) as a scikit-learn transformer.
- ``modelling``   robustness and redundancy filters, model pipelines (clinical, radiomics,
                  combined), metrics (AUC with CIs, DeLong, calibration, decision curve), SHAP.
- ``validation``  nested cross-validation and leave-site-out validation, patient-wise.
- ``report``      (in ``modelling.report``) the self-contained HTML validation report.
- ``batch``       the per-study pipeline on Dask (another module, added separately).

Nothing here is imported eagerly: scikit-learn and friends load only when a submodule is used.
"""

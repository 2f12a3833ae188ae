"""Diagnostic-accuracy meta-analysis: the bivariate model of Reitsma et al. (2005) with
meta-regression, SROC (Rutter-Gatsonis), DOR pooling, the Lehmann proportional hazards model,
and forest/SROC plots. See docs/design/evidence.md."""

from spinepath.evidence.analysis import meta_analysis
from spinepath.evidence.bivariate import BivariateFit, fit_bivariate
from spinepath.evidence.data import StudyTable, from_frame, read_studies
from spinepath.evidence.phm import fit_phm
from spinepath.evidence.sroc import hsroc_parameters, sroc_auc
from spinepath.evidence.univariate import pooled_dor

__all__ = [
    "BivariateFit",
    "StudyTable",
    "fit_bivariate",
    "fit_phm",
    "from_frame",
    "hsroc_parameters",
    "meta_analysis",
    "pooled_dor",
    "read_studies",
    "sroc_auc",
]

"""SHAP explanations of a fitted model pipeline (Lundberg & Lee, NeurIPS 2017).

The explanation is computed for the final estimator on its own inputs (the design matrix after
harmonisation, filters, selection and scaling), so the features named are the model's inputs.
Linear models use ``shap.LinearExplainer`` (exact for a linear model with independent
features, in log-odds); tree ensembles use ``shap.TreeExplainer`` (exact path-dependent
algorithm; random forests in probability, gradient boosting in log-odds). Any other estimator
falls back to the model-agnostic permutation explainer on ``predict_proba``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Explanation", "explain_pipeline"]


@dataclass
class Explanation:
    """Per-row SHAP values (rows x model inputs) and the model inputs themselves."""

    values: pd.DataFrame
    inputs: pd.DataFrame
    method: str
    output_scale: str  # "log-odds" or "probability"

    def importance(self) -> pd.Series:
        """Mean |SHAP| per model input, largest first."""
        return self.values.abs().mean().sort_values(ascending=False)


def explain_pipeline(
    pipe: Any, X: pd.DataFrame, *, max_rows: int = 500, seed: int = 0
) -> Explanation:
    """Explain a fitted pipeline (as built by ``pipeline.build_pipeline``) on rows ``X``
    (at most ``max_rows`` rows, drawn at random, are explained)."""
    import shap
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    if len(X) > max_rows:
        X = X.sample(n=max_rows, random_state=seed)
    pre, clf = pipe[:-1], pipe[-1]
    names = list(pipe.named_steps["select"].kept_)
    Z = np.asarray(pre.transform(X), dtype=float)
    if isinstance(clf, LogisticRegression):
        explainer = shap.LinearExplainer(clf, shap.maskers.Independent(Z, max_samples=200))
        vals = np.asarray(explainer.shap_values(Z))
        method, scale = "LinearExplainer", "log-odds"
    elif isinstance(clf, RandomForestClassifier | GradientBoostingClassifier):
        explainer = shap.TreeExplainer(clf)
        vals = np.asarray(explainer.shap_values(Z, check_additivity=False))
        if vals.ndim == 3:  # (rows, features, classes)
            vals = vals[:, :, 1]
        method = "TreeExplainer"
        scale = "probability" if isinstance(clf, RandomForestClassifier) else "log-odds"
    else:
        background = shap.maskers.Independent(Z, max_samples=100)
        explainer = shap.PermutationExplainer(lambda z: clf.predict_proba(z)[:, 1], background,
                                              seed=seed)
        vals = np.asarray(explainer(Z).values)
        method, scale = "PermutationExplainer", "probability"
    return Explanation(
        values=pd.DataFrame(vals, columns=names, index=X.index),
        inputs=pd.DataFrame(Z, columns=names, index=X.index),
        method=method,
        output_scale=scale,
    )

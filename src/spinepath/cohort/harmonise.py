"""ComBat harmonisation of feature tables across sites (scanners, vendors, centres).

The model is the empirical Bayes location/scale model of Johnson, Li & Rabinovic (2007,
Biostatistics 8:118-127) in the formulation of Fortin et al. (2017 NeuroImage 161:149-170;
2018 NeuroImage 167:104-120, "neuroComBat"): for feature ``g``, sample ``j`` of site ``i``

    y_ijg = alpha_g + X_ij beta_g + gamma_ig + delta_ig * eps_ijg

where ``X`` holds the covariates whose effects are protected (kept) by the harmonisation. The
site effects ``gamma`` (additive) and ``delta`` (multiplicative) are shrunk towards their
across-feature means with parametric priors (normal for ``gamma``, inverse gamma for ``delta``)
and removed:

    y*_ijg = (y_ijg - alpha_g - X_ij beta_g - gamma*_ig) / delta*_ig + alpha_g + X_ij beta_g

Units: the output of each feature is in the unit of its input. The estimator follows the
scikit-learn API so that it can be fitted on training rows only inside cross-validation and then
applied to new rows of the sites it has seen; a site it has not seen raises
:class:`UnseenSiteError` (its location and scale cannot be known from training data).

Numerical conventions follow the reference implementation neuroCombat 0.2.12 (pooled variance
divided by ``n``, sample variance with ``n - 1`` per site, method-of-moments hyper-priors,
the joint fixed-point iteration stopped when the largest relative change falls below ``tol``),
so that outputs agree with it to about 1e-6; the check lives in tests/cohort/test_harmonise.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from spinepath.errors import InputError

__all__ = ["ComBat", "UnseenSiteError"]


class UnseenSiteError(InputError):
    """Rows come from a site the harmonisation model was not fitted on."""


class ComBat(TransformerMixin, BaseEstimator):
    """ComBat harmonisation as a scikit-learn transformer over a :class:`pandas.DataFrame`.

    Parameters
    ----------
    site_col:
        Column holding the site (batch) of each row, e.g. the scanner vendor.
    features:
        Columns to harmonise. ``None``: every numeric column that is neither the site nor a
        covariate. Other columns pass through unchanged, so that later pipeline steps can
        still use them.
    categorical_covariates, continuous_covariates:
        Columns whose effects are protected (kept in the data). They must be known for new
        rows too, so never put the outcome being predicted here (that would leak it).
    empirical_bayes:
        Shrink site effects with the parametric empirical Bayes priors (True) or use the
        per-site location/scale estimates as they are (False).
    tol, max_iter:
        Stopping rule of the empirical Bayes fixed-point iteration: largest relative change of
        any ``gamma*`` or ``delta*`` below ``tol`` (1e-4 as in sva::ComBat and neuroCombat).
    """

    def __init__(
        self,
        site_col: str = "site",
        *,
        features: Sequence[str] | None = None,
        categorical_covariates: Sequence[str] = (),
        continuous_covariates: Sequence[str] = (),
        empirical_bayes: bool = True,
        tol: float = 1e-4,
        max_iter: int = 10_000,
    ) -> None:
        self.site_col = site_col
        self.features = features
        self.categorical_covariates = categorical_covariates
        self.continuous_covariates = continuous_covariates
        self.empirical_bayes = empirical_bayes
        self.tol = tol
        self.max_iter = max_iter

    # ------------------------------------------------------------------ helpers
    def _covariate_cols(self) -> list[str]:
        return [*self.categorical_covariates, *self.continuous_covariates]

    def _resolve_features(self, X: pd.DataFrame) -> list[str]:
        if self.features is not None:
            missing = [c for c in self.features if c not in X.columns]
            if missing:
                raise InputError(
                    f"ComBat: feature columns {missing} are not in the table; "
                    f"columns present: {list(X.columns)[:20]}..."
                )
            return list(self.features)
        skip = {self.site_col, *self._covariate_cols()}
        return [
            c for c in X.columns if c not in skip and pd.api.types.is_numeric_dtype(X[c])
        ]

    def _check_frame(self, X: Any) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise InputError(
                "ComBat needs a pandas DataFrame with a site column and the feature columns; "
                f"got {type(X).__name__}."
            )
        needed = [self.site_col, *self._covariate_cols()]
        missing = [c for c in needed if c not in X.columns]
        if missing:
            raise InputError(
                f"ComBat: columns {missing} are missing from the table (site column "
                f"{self.site_col!r}, covariates {self._covariate_cols()})."
            )
        return X

    def _covariate_matrix(self, X: pd.DataFrame, *, fitting: bool) -> np.ndarray:
        """Covariate part of the design: categorical one-hot without the first (sorted)
        level, then continuous columns as given."""
        blocks: list[np.ndarray] = []
        if fitting:
            self.categorical_levels_ = {}
        for col in self.categorical_covariates:
            values = X[col].to_numpy()
            if pd.isna(values).any():
                raise InputError(f"ComBat: covariate {col!r} has missing values; impute first.")
            if fitting:
                self.categorical_levels_[col] = np.unique(values.astype(str))
            levels = self.categorical_levels_[col]
            unseen = sorted(set(values.astype(str)) - set(levels))
            if unseen:
                raise InputError(
                    f"ComBat: covariate {col!r} has levels {unseen} not seen when fitting "
                    f"(seen: {list(levels)}); refit with rows that include them."
                )
            onehot = (values.astype(str)[:, None] == levels[None, :]).astype(float)
            blocks.append(onehot[:, 1:])
        for col in self.continuous_covariates:
            v = pd.to_numeric(X[col], errors="coerce").to_numpy(dtype=float)
            if not np.isfinite(v).all():
                raise InputError(
                    f"ComBat: covariate {col!r} has missing or non-numeric values; impute first."
                )
            blocks.append(v[:, None])
        n = len(X)
        return np.hstack(blocks) if blocks else np.zeros((n, 0))

    def _feature_matrix(self, X: pd.DataFrame) -> np.ndarray:
        Y = X[self.features_].to_numpy(dtype=float)
        if not np.isfinite(Y).all():
            bad = [c for c in self.features_ if not np.isfinite(X[c].to_numpy(float)).all()]
            raise InputError(
                f"ComBat: features {bad[:10]} have missing or infinite values; impute them "
                "before harmonising (e.g. a SimpleImputer step earlier in the pipeline)."
            )
        return Y

    # ---------------------------------------------------------------------- fit
    def fit(self, X: pd.DataFrame, y: Any = None) -> ComBat:
        """Estimate the site effects from training rows ``X`` (``y`` is ignored)."""
        X = self._check_frame(X)
        self.features_ = self._resolve_features(X)
        if not self.features_:
            raise InputError("ComBat: no numeric feature columns to harmonise.")
        Y = self._feature_matrix(X)  # n x p
        sites = X[self.site_col].astype(str).to_numpy()
        self.sites_, site_idx, counts = np.unique(sites, return_inverse=True, return_counts=True)
        if len(self.sites_) < 2:
            raise InputError(
                f"ComBat: the training rows come from one site only ({self.sites_[0]!r}); "
                "harmonisation needs at least two sites."
            )
        if counts.min() < 2:
            small = [s for s, c in zip(self.sites_, counts, strict=True) if c < 2]
            raise InputError(
                f"ComBat: sites {small} have fewer than 2 training rows; a site's scale cannot "
                "be estimated from one row. Merge or drop those sites."
            )
        self.n_per_site_ = dict(zip(self.sites_, counts.tolist(), strict=True))
        n, p = Y.shape
        k = len(self.sites_)
        B = np.zeros((n, k))
        B[np.arange(n), site_idx] = 1.0
        C = self._covariate_matrix(X, fitting=True)
        design = np.hstack([B, C])
        if np.linalg.matrix_rank(design) < design.shape[1]:
            raise InputError(
                "ComBat: the design (site + protected covariates) is rank deficient: a covariate "
                "is confounded with site or constant. Drop that covariate."
            )
        beta, *_ = np.linalg.lstsq(design, Y, rcond=None)  # (k + q) x p
        self.grand_mean_ = (counts / n) @ beta[:k]  # p
        self.beta_covariates_ = beta[k:]  # q x p
        resid = Y - design @ beta
        var_pooled = np.mean(resid**2, axis=0)
        var_pooled[var_pooled == 0] = 1.0  # constant feature: leave it as is
        self.var_pooled_ = var_pooled
        S = (Y - self.grand_mean_ - C @ self.beta_covariates_) / np.sqrt(var_pooled)

        gamma_hat = np.vstack([S[site_idx == i].mean(axis=0) for i in range(k)])
        delta_hat = np.vstack([S[site_idx == i].var(axis=0, ddof=1) for i in range(k)])
        delta_hat[delta_hat == 0] = 1.0
        self.gamma_hat_, self.delta_hat_ = gamma_hat, delta_hat

        use_eb = self.empirical_bayes and p > 1
        self.empirical_bayes_used_ = use_eb
        if not use_eb:
            self.gamma_star_, self.delta_star_ = gamma_hat.copy(), delta_hat.copy()
            self.n_iter_ = np.zeros(k, dtype=int)
            return self

        gamma_bar = gamma_hat.mean(axis=1)  # per site, across features
        tau2 = gamma_hat.var(axis=1, ddof=1)
        m = delta_hat.mean(axis=1)
        s2 = delta_hat.var(axis=1, ddof=1)
        a_prior = (2.0 * s2 + m**2) / s2
        b_prior = (m * s2 + m**3) / s2
        self.priors_ = {
            "gamma_bar": gamma_bar, "tau2": tau2, "a": a_prior, "b": b_prior,
        }
        gamma_star = np.empty_like(gamma_hat)
        delta_star = np.empty_like(delta_hat)
        n_iter = np.zeros(k, dtype=int)
        for i in range(k):
            gamma_star[i], delta_star[i], n_iter[i] = _posterior_fixed_point(
                S[site_idx == i], gamma_hat[i], delta_hat[i], gamma_bar[i], tau2[i],
                a_prior[i], b_prior[i], tol=self.tol, max_iter=self.max_iter,
            )
        self.gamma_star_, self.delta_star_, self.n_iter_ = gamma_star, delta_star, n_iter
        return self

    # ---------------------------------------------------------------- transform
    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Harmonise rows of seen sites; returns a copy of ``X`` with the feature columns
        replaced (same units) and every other column unchanged."""
        check_is_fitted(self, "gamma_star_")
        X = self._check_frame(X)
        sites = X[self.site_col].astype(str).to_numpy()
        unseen = sorted(set(sites) - set(self.sites_))
        if unseen:
            raise UnseenSiteError(
                f"ComBat: site(s) {unseen} were not in the training data (fitted sites: "
                f"{list(self.sites_)}). A site's location and scale cannot be known without its "
                "own data: refit including rows of that site, or validate that site without "
                "harmonisation (leave-site-out)."
            )
        Y = self._feature_matrix(X)
        C = self._covariate_matrix(X, fitting=False)
        site_idx = np.searchsorted(self.sites_, sites)
        sd = np.sqrt(self.var_pooled_)
        mean = self.grand_mean_ + C @ self.beta_covariates_
        S = (Y - mean) / sd
        S = (S - self.gamma_star_[site_idx]) / np.sqrt(self.delta_star_[site_idx])
        out = X.copy()
        out[self.features_] = S * sd + mean
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Column names are unchanged by harmonisation."""
        check_is_fitted(self, "gamma_star_")
        return np.asarray(self.feature_names_in_ if hasattr(self, "feature_names_in_")
                          else self.features_, dtype=object)


def _posterior_fixed_point(
    s: np.ndarray,
    gamma_hat: np.ndarray,
    delta_hat: np.ndarray,
    gamma_bar: float,
    tau2: float,
    a: float,
    b: float,
    *,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Joint fixed-point solution of the conditional posterior means of one site.

    ``s`` holds the standardised data of the site (rows x features). Returns
    ``(gamma_star, delta_star, iterations)``. Johnson et al. 2007, section 3.2.
    """
    n = np.isfinite(s).sum(axis=0).astype(float)
    g_old, d_old = gamma_hat.copy(), delta_hat.copy()
    tiny = np.finfo(float).tiny
    for it in range(1, max_iter + 1):
        g_new = (tau2 * n * gamma_hat + d_old * gamma_bar) / (tau2 * n + d_old)
        sum2 = ((s - g_new) ** 2).sum(axis=0)
        d_new = (0.5 * sum2 + b) / (n / 2.0 + a - 1.0)
        change = max(
            float(np.max(np.abs(g_new - g_old) / np.maximum(np.abs(g_old), tiny))),
            float(np.max(np.abs(d_new - d_old) / np.maximum(np.abs(d_old), tiny))),
        )
        g_old, d_old = g_new, d_new
        if change < tol:
            return g_new, d_new, it
    return g_old, d_old, max_iter

"""IBSI 1 compliance on the shared phantoms (reference values of the IBSI manual)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinepath.radiomics.ibsi import DATASETS, check_dataset, load_reference, within_tolerance

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def ibsi_dir(shared_data: Path) -> Path:
    path = shared_data / "ibsi"
    if not (path / "reference_values").is_dir():
        pytest.skip(f"IBSI reference data not found under {path}")
    return path


def test_digital_phantom_every_feature_matches(ibsi_dir: Path) -> None:
    result = check_dataset(ibsi_dir, "digital_phantom")
    assert result.total >= 450  # every family and aggregation with a consensus value
    assert result.mismatches == []


@pytest.mark.parametrize("config", ["A", "B", "C", "D", "E"])
def test_ct_phantom_configuration_within_tolerance(ibsi_dir: Path, config: str) -> None:
    result = check_dataset(ibsi_dir, config)
    assert result.total >= 200
    share = result.matched / result.total
    assert share >= 0.95, f"config {config}: {result.matched}/{result.total}: {result.mismatches}"


def test_check_fails_against_another_configuration(ibsi_dir: Path) -> None:
    """The comparison discriminates: configuration D features do not pass E's references."""
    from spinepath.radiomics import extract_features, load_settings
    from spinepath.radiomics.ibsi import load_phantom

    image, mask = load_phantom(ibsi_dir, DATASETS["D"][0])
    feats = extract_features(image, mask, load_settings("ibsi_ct_d"))
    refs = load_reference(ibsi_dir / "reference_values" / DATASETS["E"][1])
    matched = sum(within_tolerance(feats.get(r.tag), r) for r in refs)
    assert matched < 0.5 * len(refs)

"""The molecular-imaging knowledge file: every entry has a source; seed 004 figures present."""

from __future__ import annotations

from importlib import resources

import yaml


def _entries() -> dict[str, dict]:
    text = resources.files("spinepath.knowledge").joinpath("molecular_imaging.yaml").read_text()
    data = yaml.safe_load(text)
    return {e["id"]: e for e in data["entries"]}


def test_every_entry_has_a_source() -> None:
    for key, entry in _entries().items():
        assert str(entry.get("source", "")).strip(), key


def test_seed_004_pooled_accuracies() -> None:
    e = _entries()
    naf, spect = e["naf_pet_ct_psps_t2"], e["diphosphonate_spect_ct_psps_t2"]
    assert (naf["sensitivity"], naf["specificity"]) == (0.903, 0.891)
    assert (spect["sensitivity"], spect["specificity"]) == (0.615, 0.96)
    assert "10.1186/s41824-025-00266-4" in naf["source"]

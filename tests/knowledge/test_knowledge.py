"""Knowledge files: every entry has a source, references resolve, vocabulary matches."""

from __future__ import annotations

import pytest
import yaml

from spinepath import knowledge
from spinepath.reasoning.pathway import PREDICATES

VOCABULARY = {
    "conservative_care", "urgent_referral", "contrast_mri", "ct", "molecular_imaging",
    "selective_nerve_root_block", "transforaminal_esi", "interlaminar_esi", "caudal_esi",
    "drg_pulsed_rf", "medial_branch_block", "medial_branch_rfa",
    "facet_intraarticular_injection", "sij_intraarticular_block", "sij_lateral_branch_rfa",
    "basivertebral_nerve_ablation", "mild_decompression", "percutaneous_disc_decompression",
    "vertebral_augmentation", "surgical_referral", "radiographs", "emg", "laboratory_tests",
    "spinal_cord_stimulation",
}


@pytest.mark.parametrize("name", knowledge.available())
def test_every_entry_has_a_source(name: str) -> None:
    assert knowledge.source_problems(name) == []


def test_source_check_fails_on_an_entry_without_source(tmp_path, monkeypatch) -> None:
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(
        {"version": "1", "entries": [{"id": "a", "source": "x"}, {"id": "b", "value": 1}]}))
    monkeypatch.setattr(knowledge, "KNOWLEDGE_DIR", tmp_path)
    knowledge.load.cache_clear()
    try:
        problems = knowledge.source_problems("bad")
    finally:
        knowledge.load.cache_clear()
    assert problems == ["bad.yaml: entry 'b' has no source"]


def test_expected_files_present() -> None:
    names = set(knowledge.available())
    assert {"grading", "priors", "concordance", "roots", "red_flags", "phenotypes",
            "pathway"} <= names


def test_missing_entry_names_the_file() -> None:
    with pytest.raises(knowledge.KnowledgeError, match=r"priors\.yaml has no entry 'nope'"):
        knowledge.load("priors").entry("nope")


def test_pathway_steps_resolve() -> None:
    kb = knowledge.load("pathway")
    procs = {e["procedure"] for e in kb.entries if e["id"].startswith("proc_")}
    assert procs == VOCABULARY
    rows = [e for e in kb.entries if "steps" in e]
    assert {r["phenotype"] for r in rows} >= {
        "cauda_equina", "infection_red_flag", "malignancy_red_flag", "osseous_red_flag",
        "radicular", "facetogenic", "sacroiliac", "vertebrogenic", "discogenic", "lf_stenosis",
        "persistent_spinal_pain_syndrome_2", "nonspecific"}
    for r in rows:
        for step in r["steps"]:
            assert set(step) == {"procedure", "line", "when", "condition"}, step
            assert step["procedure"] in procs
            assert step["when"] in PREDICATES
            assert isinstance(step["condition"], str) and step["condition"]


def test_brinjikji_tables_have_one_value_per_age() -> None:
    kb = knowledge.load("priors")
    ages = kb.data["prevalence_ages"]
    for e in kb.entries:
        if "by_age" in e:
            assert len(e["by_age"]) == len(ages)
            assert all(0 <= p <= 1 for p in e["by_age"])
            assert e["by_age"] == sorted(e["by_age"]), e["id"]


def test_provisional_facts_are_marked() -> None:
    # the knowledge base marks these [M]; they must stay provisional here
    for name, eid in [("grading", "lf_hypertrophy"), ("grading", "dsca_relative"),
                      ("pathway", "sel_mild"), ("priors", "prev_modic")]:
        assert knowledge.load(name).entry(eid).get("provisional") is True

"""report.html in headless Chromium (Playwright) and report.pdf: content, images, sections."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest
from PIL import Image

from tests.report.conftest import Bundle, need_tool

SECTIONS = ("Impression", "Key images", "Findings by level", "Not assessed and limitations",
            "Series", "Provenance")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def page(bundle: Bundle):
    exe = need_tool("chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1200, "height": 900})
        pg.on("request", lambda r: requests.append(r.url))
        pg.goto(bundle.paths["html"].as_uri())
        pg.wait_for_load_state("load")
        yield pg, requests
        browser.close()


def test_page_shows_images(page, bundle: Bundle) -> None:
    pg, requests = page
    figures = pg.locator("figure")
    kinds = figures.evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds.count("sagittal") == 2 and kinds.count("axial") >= 2
    sizes = pg.locator("figure img").evaluate_all(
        "els => els.map(e => [e.complete, e.naturalWidth, e.getBoundingClientRect().height])")
    assert all(ok and w > 100 and h > 100 for ok, w, h in sizes)
    captions = " ".join(figures.all_inner_texts())
    assert "sagittal T2" in captions and "sagittal T1" in captions and "L4-L5: axial" in captions
    # what the screenshot shows: the sagittal T2 picture has image content, not a blank box
    shot = Image.open(io.BytesIO(pg.locator("figure").first.screenshot())).convert("L")
    px = np.asarray(shot, dtype=float)
    assert px.std() > 20 and (px > 200).mean() > 0.01
    # self-contained: nothing but the file itself and data: URLs was requested
    assert all(u.startswith(("data:", "file:")) for u in requests)
    assert sum(u.startswith("file:") for u in requests) == 1


def test_page_shows_level_table(page) -> None:
    pg, _ = page
    rows = pg.locator("#level-table tr[data-level]")
    levels = rows.evaluate_all("els => els.map(e => e.dataset.level)")
    assert levels == ["L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"]
    l45 = pg.locator('#level-table tr[data-level="L4-L5"]').inner_text()
    assert "Pfirrmann grade 4" in l45
    assert "disc extrusion, left subarticular zone" in l45
    assert "dural sac area 92.0 mm²" in l45
    assert "uncertain - review" in l45  # Pfirrmann 4 has p = 0.55
    assert "55%" in l45
    l12 = pg.locator('#level-table tr[data-level="L1-L2"]').inner_text()
    assert "Pfirrmann" not in l12
    shot = Image.open(io.BytesIO(pg.locator("#level-table").screenshot())).convert("L")
    assert shot.size[0] > 600 and np.asarray(shot).std() > 10


def test_page_shows_impression_and_provenance(page, bundle: Bundle) -> None:
    pg, _ = page
    text = pg.locator("#impression").inner_text()
    for expected in ("ROUTINE", "radicular", "82%", "L4-L5", "L5 root", "74%",
                     "transforaminal esi", "persistent radicular pain after 6 weeks",
                     "contraindication: anticoagulant management", "likely incidental",
                     "anticoagulant management (caution)"):
        assert expected in text, expected
    assert pg.locator("#status").inner_text() == "PRELIMINARY"
    prov = pg.locator("#provenance").inner_text()
    report = bundle.analysed.report
    assert report.provenance.inputs_digest in prov
    assert "segmenter.onnx" in prov and report.report_id in prov
    assert report.dicom.seg_sop_instance_uid in prov


def test_pdf_has_the_same_sections(bundle: Bundle) -> None:
    exe = need_tool("pdftotext")
    raw = subprocess.run([exe, str(bundle.paths["pdf"]), "-"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    text = " ".join(raw.split())
    html = bundle.paths["html"].read_text(encoding="utf-8")
    positions = []
    for heading in SECTIONS:
        assert f">{heading}</h2>" in html
        assert heading in text, heading
        positions.append(text.index(heading))
    assert positions == sorted(positions)
    for expected in ("Pfirrmann grade 4", "disc extrusion", "transforaminal esi", "PRELIMINARY",
                     bundle.analysed.report.provenance.inputs_digest[:32]):
        assert expected in text, expected
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(bundle.paths["pdf"])
    # WeasyPrint shares one resource dictionary between pages: count distinct pictures
    sizes = {(im.image.size, im.data[:256]) for p in reader.pages for im in p.images}
    assert len(sizes) == len(bundle.analysed.report.key_images)

"""report.html (one self-contained page: CSS inline, images as data URIs) and report.pdf from it.

The page holds the impression (triage, phenotype, pain generators with reasons, red flags, next
steps with conditions and contraindications), key images, the per-level table in standard
nomenclature with the probability of every grade, what could not be assessed, the series and the
provenance. Nothing is loaded from the network. The PDF is WeasyPrint's rendering of the same
page (print CSS in ``templates/report.css``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from markupsafe import Markup, escape

from spinepath.model.report import Report
from spinepath.report.nomenclature import (
    COLUMNS,
    LOW_CONFIDENCE,
    Cell,
    finding_text,
    level_rows,
    other_findings,
    vertebra_rows,
)


@dataclass
class ImageRef:
    """An image as the page shows it."""

    src: str
    caption: str
    kind: str
    levels: list[str]


@lru_cache(maxsize=1)
def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("spinepath.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["words"] = lambda s: str(s).replace("_", " ")
    return env


def _prob(p: float) -> Markup:
    pct = max(0.0, min(1.0, float(p))) * 100
    return Markup(
        f'<span class="prob">{pct:.0f}%<span class="barbox"><span class="bar" '
        f'style="width:{pct * 0.4:.0f}px"></span></span></span>'
    )


def _cell(c: Cell) -> Markup:
    sev = min(int(c.severity * 4), 3)
    title = ", ".join(f"{k}: {v:.2f}" for k, v in sorted(c.probabilities.items()))
    parts = [f'<span class="item sev{sev}" title="{escape(title)}">{escape(c.text)}']
    if c.confidence is not None:
        parts.append(f" {_prob(c.confidence)}")
    if c.uncertain:
        parts.append('<span class="uncertain">uncertain - review</span>')
    parts.append("</span>")
    return Markup("".join(parts))


def _images(report: Report, base: Path | None) -> list[ImageRef]:
    out = []
    for k in report.key_images:
        if base is None:
            continue
        path = base / k.file
        if not path.is_file():
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        out.append(ImageRef(f"data:image/png;base64,{data}", k.caption, k.kind, k.levels))
    return out


def render_html(report: Report, *, image_dir: Path | None) -> str:
    """The report page as one HTML string.

    Args:
        report: the report.
        image_dir: the folder the ``key_images`` file names are relative to (the report
            folder); None renders the page without images.
    """
    css = resources.files("spinepath.report").joinpath("templates/report.css").read_text("utf-8")
    levels_shown = {lv for k in report.key_images for lv in k.levels}
    scope = [why for item, why in report.not_assessed.items()
             if item in ("sagittal T2", "lumbar spine", "lumbar levels")]
    return _env().get_template("report.html").render(
        r=report,
        css=Markup(css),
        images=_images(report, image_dir),
        rows=level_rows(report.findings, levels=[lv for lv in levels_shown if "-" in lv]),
        vertebrae=vertebra_rows(report.findings),
        others=[finding_text(f, with_level=True) for f in other_findings(report.findings)],
        columns=COLUMNS,
        low_conf=LOW_CONFIDENCE,
        prob=_prob,
        cell=_cell,
        scope_banner="; ".join(scope),
    )


def write_html(report: Report, path: Path, *, image_dir: Path | None) -> Path:
    """Write report.html."""
    path.write_text(render_html(report, image_dir=image_dir), encoding="utf-8")
    return path


def write_pdf(html: str, path: Path) -> Path:
    """Render the page to PDF with WeasyPrint; only ``data:`` URLs are fetched (no network)."""
    from weasyprint import HTML

    try:
        from weasyprint.urls import URLFetcher

        fetcher = URLFetcher(allowed_protocols={"data"})
    except ImportError:  # older WeasyPrint: the page holds data: URLs only anyway
        fetcher = None
    HTML(string=html, url_fetcher=fetcher).write_pdf(path)
    return path

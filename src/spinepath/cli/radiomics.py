"""``spinepath radiomics ...``: IBSI radiomics verbs (compliance check, feature extraction)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors

radiomics_app = typer.Typer(
    name="radiomics",
    help="IBSI 1 radiomics: compliance check against the IBSI phantoms, feature extraction.",
    no_args_is_help=True,
)


def default_ibsi_dir() -> Path:
    """``$SPINEPATH_SHARED_DATA/ibsi``, else ``../shared/data/ibsi`` next to the repository."""
    env = os.environ.get("SPINEPATH_SHARED_DATA")
    if env:
        return Path(env) / "ibsi"
    return Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ibsi"


@radiomics_app.command("ibsi-check")
@handle_errors
def ibsi_check(
    data: Path = typer.Option(
        None, "--data", help="Folder with the IBSI data (reference_values/, phantoms)."
    ),
    dataset: list[str] = typer.Option(
        None, "--dataset", "-d", help="digital_phantom, A, B, C, D or E (repeatable; all if unset)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Extract the IBSI phantom features and count those within the IBSI tolerance."""
    from spinepath.errors import InputError
    from spinepath.radiomics.ibsi import check_all

    ibsi_dir = data or default_ibsi_dir()
    if not ibsi_dir.is_dir():
        raise InputError(f"IBSI data folder not found: {ibsi_dir}; pass --data <shared>/data/ibsi")
    results = check_all(ibsi_dir, list(dataset) if dataset else None)
    if as_json:
        typer.echo(
            json.dumps({"data": str(ibsi_dir), "results": [r.to_dict() for r in results]}, indent=2)
        )
    else:
        for r in results:
            pct = 100.0 * r.matched / r.total if r.total else 0.0
            console.print(
                f"{r.dataset:16s} {r.matched:4d} / {r.total:<4d} ({pct:5.1f} %)  "
                f"strict {r.matched_strict:4d}  {r.seconds:6.2f} s"
            )
            for m in r.mismatches:
                console.print(
                    f"    {m['tag']}: {m['value']} (reference {m['reference']} "
                    f"+/- {m['tolerance']})"
                )
    if any(r.total and r.matched / r.total < 0.95 for r in results):
        raise typer.Exit(code=1)


@radiomics_app.command("extract")
@handle_errors
def extract(
    image: Path = typer.Argument(..., help="Image (NIfTI)."),
    mask: Path = typer.Argument(..., help="ROI mask (NIfTI, same grid; non-zero = ROI)."),
    settings: str = typer.Option(
        "default_mr", "--settings", "-s", help="YAML file or shipped name (ibsi_ct_a..e, ...)."
    ),
    label: int = typer.Option(None, "--label", help="Use only this label value of the mask."),
    output: Path = typer.Option(None, "--output", "-o", help="Write JSON here (else stdout)."),
) -> None:
    """IBSI features of one ROI, as JSON rows {feature, ibsi_code, value}."""
    import nibabel as nib
    import numpy as np

    from spinepath.errors import InputError
    from spinepath.model.volume import Volume
    from spinepath.radiomics import extract_features, ibsi_code

    for p in (image, mask):
        if not p.is_file():
            raise InputError(f"file not found: {p}")
    img = nib.load(image)
    msk = np.asarray(nib.load(mask).dataobj)
    roi = msk == label if label is not None else msk > 0
    feats = extract_features(Volume(np.asarray(img.dataobj, float), img.affine), roi, settings)
    rows = []
    for k, v in feats.items():
        try:
            code = ibsi_code(k)
        except KeyError:
            code = None
        rows.append({"feature": k, "ibsi_code": code, "value": v})
    text = json.dumps(rows, indent=1)
    if output:
        output.write_text(text)
        console.print(f"{len(rows)} features written to {output}")
    else:
        typer.echo(text)


def register(app: typer.Typer) -> None:
    """Add the ``radiomics`` command group."""
    app.add_typer(radiomics_app, name="radiomics")

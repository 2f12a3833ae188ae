"""``spinepath radiomics ...``: IBSI radiomics verbs (compliance check, feature extraction)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import typer
from typer.core import TyperGroup

from spinepath.cli.common import console, handle_errors

STUDY_COMMAND = "study"


class StudyOrCommandGroup(TyperGroup):
    """The ``radiomics`` group: ``spinepath radiomics STUDY ...`` runs the ``study`` command when
    the first argument is not one of the group's commands (``ibsi-check``, ``extract``, ...)."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            return STUDY_COMMAND, self.commands[STUDY_COMMAND], args
        return super().resolve_command(ctx, args)


radiomics_app = typer.Typer(
    name="radiomics",
    cls=StudyOrCommandGroup,
    help="IBSI 1 radiomics: compliance check against the IBSI phantoms, feature extraction; "
    "'spinepath radiomics STUDY -o features.parquet' extracts per-structure features of a study "
    "(same as 'spinepath radiomics study STUDY ...').",
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


@radiomics_app.command(STUDY_COMMAND)
@handle_errors
def study(
    study_path: Path = typer.Argument(
        ..., metavar="STUDY", help="Study: DICOM folder/zip, NIfTI file, SPIDER folder."
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Feature table: .parquet (long format) or .csv."
    ),
    settings: str = typer.Option(
        None,
        "--settings",
        "-s",
        help="YAML file or shipped name (default: default_mr, in-plane 1 mm, 2D/2.5D texture).",
    ),
    in_plane_mm: float = typer.Option(
        None,
        "--in-plane-mm",
        min=0.05,
        help="Resample in-plane to this pixel size, mm (default: the series' grid).",
    ),
    model: Path = typer.Option(None, "--model", help="Segmentation ONNX model (default: shipped)."),
    segmentation: Path = typer.Option(
        None, "--segmentation", help="External label map of the sagittal T2 (instead of the model)."
    ),
    convention: str = typer.Option(
        None, "--convention", help="Convention of --segmentation (spineps, totalseg, spider, ...)."
    ),
    semantic_map: Path = typer.Option(
        None, "--semantic-map", help="spinepath semantic map (*_seg.nii.gz of 'spinepath segment')."
    ),
    levels_map: Path = typer.Option(
        None, "--levels-map", help="spinepath level map (*_levels.nii.gz), with --semantic-map."
    ),
    patient: str = typer.Option(None, "--patient", help="Patient in a SPIDER-style folder."),
) -> None:
    """Per-structure IBSI features (disc, body, endplate zones per level) of the sagittal T2.

    The structures come from the pipeline's segmentation of the study's sagittal T2 (or from
    the label maps given); what cannot be measured is listed with the reason.
    """
    from spinepath.errors import InputError
    from spinepath.io import load_study
    from spinepath.radiomics.structures import load_label_maps, study_structures

    if output.suffix.lower() not in (".parquet", ".csv"):
        raise InputError(f"output {output} must end in .parquet or .csv")
    if (semantic_map is None) != (levels_map is None):
        raise InputError("give --semantic-map and --levels-map together")
    maps = load_label_maps(semantic_map, levels_map) if semantic_map and levels_map else None
    cfg: object = settings
    if in_plane_mm is not None:
        if settings is not None:
            raise InputError("--in-plane-mm applies to the default settings; drop --settings")
        from spinepath.radiomics.structures import sagittal_settings

        cfg = sagittal_settings(None, in_plane_mm=in_plane_mm)
    st = load_study(study_path, patient=patient)
    df = study_structures(
        st,
        settings=cfg,  # type: ignore[arg-type]
        model=model,
        labelmap=segmentation,
        convention=convention,
        maps=maps,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".csv":
        df.to_csv(output, index=False)
    else:
        df.to_parquet(output, index=False)
    done = df[df["reason"].isna()]
    n_roi = done.groupby(["level", "structure"]).ngroups
    console.print(
        f"{df.attrs.get('series')}: {n_roi} structures x {done['feature'].nunique()} features "
        f"({df.attrs.get('settings')}, {df.attrs.get('seconds', 0):.1f} s) -> {output}"
    )
    for r in df[df["reason"].notna()].itertuples():
        console.print(f"  [yellow]not available[/] {r.level} {r.structure}: {r.reason}")


def register(app: typer.Typer) -> None:
    """Add the ``radiomics`` command group."""
    app.add_typer(radiomics_app, name="radiomics")

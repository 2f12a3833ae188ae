"""``spinepath phantom``: write a synthetic lumbar study with exact ground truth."""

from __future__ import annotations

from pathlib import Path

import typer

from spinepath.cli.common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``phantom`` command to ``app``."""

    @app.command("phantom")
    @handle_errors
    def phantom(
        out: Path = typer.Argument(..., help="Output folder (created)."),
        seed: int = typer.Option(0, "--seed", help="Random seed; the same seed and pathologies "
                                 "give the same files."),
        pathology: list[str] = typer.Option(
            [], "--pathology", "-p",
            help='Pathology, repeatable: "pfirrmann:L4-L5=4", "modic:L5-S1=1", '
                 '"herniation:L4-L5=extrusion,left_subarticular,7", "stenosis:L4-L5=70", '
                 '"lf:L4-L5=5", "listhesis:L4-L5=20", "fracture:L1=30,wedge,acute", '
                 '"fat:multifidus=0.3".',
        ),
        pathology_file: Path | None = typer.Option(
            None, "--pathology-file", help="YAML file with pathologies (PathologySpec fields "
            "and/or a 'pathology:' list of the strings above).", exists=True, dir_okay=False,
        ),
        no_dicom: bool = typer.Option(False, "--no-dicom", help="Skip the DICOM files."),
        no_nifti: bool = typer.Option(False, "--no-nifti", help="Skip the NIfTI images."),
    ) -> None:
        """Write a synthetic lumbar MRI study (sagittal T1, T2, STIR; axial T2) to OUT as
        DICOM and NIfTI, with label maps and a ground-truth JSON. A test object, not evidence
        of accuracy on real scans."""
        import time

        from spinepath.phantom import PathologySpec, generate_study
        from spinepath.phantom.write import write_study

        t0 = time.perf_counter()
        base = PathologySpec.from_yaml(pathology_file) if pathology_file else None
        spec = PathologySpec.from_strings(list(pathology), base=base)
        study = generate_study(seed, spec)
        written = write_study(study, out, dicom=not no_dicom, nifti=not no_nifti)
        dt = time.perf_counter() - t0
        console.print(f"phantom seed {seed}: {len(study.series)} series in {dt:.1f} s")
        for s in study.series.values():
            console.print(f"  {s.number}  {s.description:<18} {s.plane.value:<9} "
                          f"{'x'.join(map(str, s.image.shape))}")
        console.print(f"DICOM files: {len(written['dicom'])}  NIfTI: {len(written['nifti'])}  "
                      f"label maps: {len(written['labels'])}")
        console.print(f"ground truth: {written['truth'][0]}")

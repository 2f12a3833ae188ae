"""TotalSegmentator as an optional segmentation backend (run as a subprocess).

TotalSegmentator (Wasserthal et al., https://github.com/wasserth/TotalSegmentator) is *not* a
dependency of spinepath. When the user has it installed, :func:`run_totalsegmentator` writes the
series to NIfTI, runs the ``TotalSegmentator`` command line on it (multi-label output) and returns
the label map; :func:`spinepath.segment.run.imported_segmentation` then converts it like any
imported label map (convention ``total_mr`` for MR, ``totalseg`` for the CT ``total`` task).

spinepath downloads nothing. TotalSegmentator fetches its weights on first use, so a run with no
weights present is refused here: fetch them once beforehand with
``totalseg_download_weights -t total_mr`` (or ``-t total``); ``TOTALSEG_WEIGHTS_PATH`` or
``TOTALSEG_HOME_DIR`` say where they are when not in ``~/.totalsegmentator``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from spinepath.errors import AnalysisError, InputError

EXECUTABLE = "TotalSegmentator"
TASK_CONVENTIONS = {"total_mr": "total_mr", "total": "totalseg"}
"""TotalSegmentator task -> label-map convention of :mod:`spinepath.segment.external`."""
DEVICES = ("cpu", "gpu", "mps")
DEFAULT_TIMEOUT_S = 3600.0
INSTALL_HINT = (
    "install it with `pip install TotalSegmentator` (plus PyTorch) and fetch its weights once "
    "with `totalseg_download_weights -t total_mr` (or `-t total` for CT); spinepath never "
    "downloads them"
)
STDERR_TAIL_LINES = 15


def _python_package_available() -> bool:
    """Whether the ``totalsegmentator`` package is importable by this interpreter."""
    try:
        return importlib.util.find_spec("totalsegmentator") is not None
    except (ImportError, ValueError):
        return False


def totalsegmentator_available() -> bool:
    """Whether TotalSegmentator can be run: its command on PATH or its package importable."""
    return shutil.which(EXECUTABLE) is not None or _python_package_available()


def _command() -> list[str]:
    """The command prefix that starts TotalSegmentator (raises when it is not installed)."""
    exe = shutil.which(EXECUTABLE)
    if exe is not None:
        return [exe]
    if _python_package_available():
        return [
            sys.executable,
            "-c",
            "import sys; from totalsegmentator.bin.TotalSegmentator import main; sys.exit(main())",
        ]
    raise AnalysisError(
        f"the TotalSegmentator backend was asked for but TotalSegmentator is not installed "
        f"(no `{EXECUTABLE}` on PATH, no `totalsegmentator` package): {INSTALL_HINT}; "
        "or use the built-in segmenter (--backend builtin)"
    )


def weights_dir() -> Path:
    """Where TotalSegmentator looks for its weights (its own environment variables honoured)."""
    if os.environ.get("TOTALSEG_WEIGHTS_PATH"):
        return Path(os.environ["TOTALSEG_WEIGHTS_PATH"]).expanduser()
    home = os.environ.get("TOTALSEG_HOME_DIR")
    base = Path(home).expanduser() if home else Path.home() / ".totalsegmentator"
    return base / "nnunet" / "results"


def _check_weights() -> Path:
    """Refuse to start TotalSegmentator when its weights folder is missing or empty: it would
    try to download them."""
    wd = weights_dir()
    if not wd.is_dir() or not any(wd.iterdir()):
        raise AnalysisError(
            f"no TotalSegmentator weights found in {wd}; TotalSegmentator would download them "
            f"and spinepath does not let it: fetch them once with `totalseg_download_weights "
            f"-t <task>` (or copy them there; set TOTALSEG_WEIGHTS_PATH or TOTALSEG_HOME_DIR when "
            f"they live elsewhere)"
        )
    return wd


def _tail(text: str | bytes | None, n: int = STDERR_TAIL_LINES) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(lines[-n:])


def convention_for_task(task: str) -> str:
    """The :mod:`spinepath.segment.external` convention of a TotalSegmentator task's output."""
    try:
        return TASK_CONVENTIONS[task]
    except KeyError:
        raise InputError(
            f"unsupported TotalSegmentator task {task!r}; use one of {sorted(TASK_CONVENTIONS)} "
            "(total_mr for MR, total for CT)"
        ) from None


def build_command(
    input_path: Path, output_path: Path, *, task: str, fast: bool, device: str
) -> list[str]:
    """The full TotalSegmentator command line (multi-label output, one NIfTI file)."""
    return [*_command(), *_arguments(input_path, output_path, task=task, fast=fast, device=device)]


def _arguments(
    input_path: Path, output_path: Path, *, task: str, fast: bool, device: str
) -> list[str]:
    args = ["-i", str(input_path), "-o", str(output_path), "--ml", "--task", task]
    if fast:
        args.append("--fast")
    return [*args, "--device", device]


def run_totalsegmentator(
    series,
    work_dir: Path,
    *,
    task: str = "total_mr",
    fast: bool = True,
    device: str = "cpu",
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Path:
    """Run TotalSegmentator on ``series`` (a :class:`~spinepath.model.study.Series` with a
    volume) in ``work_dir`` and return the path of its multi-label map (on the series' grid).

    Raises :class:`AnalysisError` when TotalSegmentator is not installed, its weights are absent,
    it fails (the message ends with the last lines of its stderr), times out or writes nothing.
    """
    import nibabel as nib

    convention_for_task(task)
    if device not in DEVICES and not (device.startswith("gpu:") and device[4:].isdigit()):
        raise InputError(f"unknown TotalSegmentator device {device!r}; use cpu, gpu, gpu:N or mps")
    if series.volume is None:
        raise InputError(f"series {series.description!r} holds no image to segment")
    prefix = _command()  # not installed -> AnalysisError before anything is written
    _check_weights()
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    in_path = work_dir / "totalseg_input.nii.gz"
    out_path = work_dir / f"totalseg_{task}.nii.gz"
    nib.save(series.volume.to_nifti(), in_path)
    cmd = [*prefix, *_arguments(in_path, out_path, task=task, fast=fast, device=device)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout_s, cwd=work_dir, check=False
        )
    except subprocess.TimeoutExpired as exc:
        tail = _tail(exc.stderr)
        raise AnalysisError(
            f"TotalSegmentator ({task}) did not finish within {timeout_s:g} s and was stopped"
            + (f"; last lines of its stderr:\n{tail}" if tail else "")
            + "\n(use --totalseg-fast, a GPU device, or a longer --totalseg-timeout)"
        ) from None
    except OSError as exc:
        raise AnalysisError(f"could not start TotalSegmentator ({cmd[0]}): {exc}") from exc
    if proc.returncode != 0:
        tail = _tail(proc.stderr) or _tail(proc.stdout) or "(no output)"
        raise AnalysisError(
            f"TotalSegmentator ({task}) failed with exit status {proc.returncode}; "
            f"last lines of its stderr:\n{tail}"
        )
    if not out_path.is_file():
        raise AnalysisError(
            f"TotalSegmentator ({task}) exited normally but wrote no label map at {out_path}; "
            f"last lines of its output:\n{_tail(proc.stderr) or _tail(proc.stdout) or '(none)'}"
        )
    return out_path


def totalsegmentator_version() -> str | None:
    """The installed TotalSegmentator package version, when the package is visible here."""
    from importlib import metadata

    try:
        return metadata.version("TotalSegmentator")
    except metadata.PackageNotFoundError:
        return None

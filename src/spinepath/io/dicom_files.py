"""Find and read DICOM files in a folder or a .zip archive.

Non-DICOM files are skipped with a reason; unreadable or truncated files are listed so the caller
can warn. Nothing is written or moved.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
_SKIP_NAMES = {".DS_Store", "Thumbs.db", "DICOMDIR", "LOCKFILE", "VERSION"}


@dataclass
class DicomScan:
    """Datasets read from a folder or archive, and the files that were not used (with why)."""

    datasets: list[tuple[Path, Dataset]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    n_files: int = 0


def _iter_folder(root: Path) -> Iterator[tuple[Path, bytes | None]]:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield path, None


def _iter_zip(archive: Path) -> Iterator[tuple[Path, bytes | None]]:
    with zipfile.ZipFile(archive) as zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            yield archive / info.filename, zf.read(info)


def _read_one(path: Path, data: bytes | None) -> Dataset:
    source: Path | io.BytesIO = io.BytesIO(data) if data is not None else path
    try:
        return pydicom.dcmread(source)
    except InvalidDicomError:
        # Files without the 128-byte preamble are still DICOM when they parse as a data set
        # that carries the essential identifiers.
        if data is None:
            with open(path, "rb") as f:
                head = f.read(132)
        else:
            head = data[:132]
        if len(head) < 132 or head[128:132] != b"DICM":
            src2: Path | io.BytesIO = io.BytesIO(data) if data is not None else path
            ds = pydicom.dcmread(src2, force=True)
            if "SOPInstanceUID" not in ds or "SeriesInstanceUID" not in ds:
                raise
            return ds
        raise


def truncation_problem(ds: Dataset) -> str | None:
    """Why a parsed data set looks truncated, or None.

    pydicom stops quietly at the end of a cut file, so completeness is checked here: an image
    (Rows present, or an image SOP class) must carry pixel data, and uncompressed pixel data must
    be as long as Rows x Columns x SamplesPerPixel x BitsAllocated/8 x NumberOfFrames.
    """
    has_meta = getattr(ds, "file_meta", None) is not None and "TransferSyntaxUID" in ds.file_meta
    if has_meta and "SOPInstanceUID" not in ds and "SeriesInstanceUID" not in ds:
        return "incomplete header (file truncated?)"
    if "Rows" not in ds or "Columns" not in ds:
        return None
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        return "image without pixel data (file truncated?)"
    if "PixelData" not in ds:
        return None
    syntax = ds.file_meta.TransferSyntaxUID if has_meta else None
    if syntax is not None and syntax.is_compressed:
        return None
    bits = int(getattr(ds, "BitsAllocated", 16) or 16)
    expected = (
        int(ds.Rows)
        * int(ds.Columns)
        * int(getattr(ds, "SamplesPerPixel", 1) or 1)
        * int(getattr(ds, "NumberOfFrames", 1) or 1)
        * bits
        + 7
    ) // 8
    got = len(ds.PixelData)
    if got < expected:
        return f"pixel data truncated ({got} of {expected} bytes)"
    return None


def scan_dicom(path: Path) -> DicomScan:
    """Read every DICOM file under ``path`` (a folder or a .zip archive).

    Returns the datasets with their paths; files that are not DICOM are in ``skipped``, files that
    look like DICOM but cannot be parsed are in ``unreadable`` (path -> reason).
    """
    scan = DicomScan()
    is_zip = path.is_file() and zipfile.is_zipfile(path)
    source = _iter_zip(path) if is_zip else _iter_folder(path)
    for file_path, data in source:
        scan.n_files += 1
        name = file_path.name
        if name in _SKIP_NAMES or name.startswith("."):
            scan.skipped[str(file_path)] = "system or index file"
            continue
        try:
            ds = _read_one(file_path, data)
        except InvalidDicomError:
            scan.skipped[str(file_path)] = "not a DICOM file"
            continue
        except Exception as exc:  # truncated or corrupt: report, never crash the whole read
            scan.unreadable[str(file_path)] = f"{type(exc).__name__}: {exc}"
            continue
        if getattr(ds, "SOPClassUID", None) == DICOMDIR_SOP_CLASS or (
            getattr(getattr(ds, "file_meta", None), "MediaStorageSOPClassUID", None)
            == DICOMDIR_SOP_CLASS
        ):
            scan.skipped[str(file_path)] = "DICOMDIR index"
            continue
        problem = truncation_problem(ds)
        if problem:
            scan.unreadable[str(file_path)] = problem
            continue
        if "SeriesInstanceUID" not in ds:
            scan.skipped[str(file_path)] = "DICOM without SeriesInstanceUID"
            continue
        scan.datasets.append((file_path, ds))
    return scan

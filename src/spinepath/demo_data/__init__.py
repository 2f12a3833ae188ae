"""Bundled demo data: one real sagittal T2 (MIT, Spinal Cord Toolbox tutorial data; see
sct_t2_lumbar/LICENSE.txt and SOURCE.txt)."""

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
SCT_T2_LUMBAR = DEMO_DIR / "sct_t2_lumbar" / "t2_lumbar.nii.gz"

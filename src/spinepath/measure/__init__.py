"""Per-level measurements in physical units from a level-labelled sagittal slice.

Stage contract: a 2-D sagittal picture (rows superior->inferior, columns anterior->posterior, as
:meth:`spinepath.model.Volume.sagittal_display` gives), the level label map on the same grid
(VerSe ids, see :mod:`spinepath.segment.labels`) and the pixel spacing in mm. Each series is
measured on its own grid; series are joined by level name afterwards.
"""

from spinepath.measure.frame import SagittalSlice
from spinepath.measure.sagittal import measure_sagittal

__all__ = ["SagittalSlice", "measure_sagittal"]

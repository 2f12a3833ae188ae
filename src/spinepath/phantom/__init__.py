"""Synthetic lumbar MRI studies with exact ground truth (a test object, not real anatomy).

``generate_study(seed, pathologies)`` builds a study in memory; ``write_study(study, out)``
writes it as DICOM, NIfTI, label maps and a ground-truth JSON. Pathologies are described by
:class:`PathologySpec` (see :mod:`spinepath.phantom.spec`). World frame: RAS+ mm, as everywhere
in spinepath (see :mod:`spinepath.model.volume`).
"""

from spinepath.phantom.generate import PhantomSeries, PhantomStudy, generate_study
from spinepath.phantom.spec import PathologySpec

__all__ = ["PathologySpec", "PhantomSeries", "PhantomStudy", "generate_study"]

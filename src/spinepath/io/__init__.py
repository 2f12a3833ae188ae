"""Readers that turn files into a :class:`~spinepath.model.Study`.

``load_study(path)`` picks the reader from what it finds: a DICOM folder or .zip, a NIfTI file,
a PNG slice (with a pixel spacing) or a SPIDER-style PNG folder.
"""

from spinepath.io.load import load_study

__all__ = ["load_study"]

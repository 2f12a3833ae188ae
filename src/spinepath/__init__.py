"""spinepath: lumbar spine imaging in low-back pain.

Study in -> segmented, level-labelled anatomy -> graded findings per level -> pain-generator
ranking -> phenotype and care pathway -> a report a clinician can check and sign.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

"""Similar-text libraries (black, white, suspect) and the protected-works library.

Public API::

    from hegui.detectors.similar import SimilarTextDetector, ProtectedWorksDetector

Importing this package loads no data: libraries are read by ``load()``.
"""

from __future__ import annotations

from hegui.detectors.similar.detector import SimilarMatch, SimilarTextDetector
from hegui.detectors.similar.library import KINDS, ProtectedWork, SimilarEntry
from hegui.detectors.similar.protected import ProtectedWorksDetector, WorkMatch

__all__ = [
    "KINDS",
    "ProtectedWork",
    "ProtectedWorksDetector",
    "SimilarEntry",
    "SimilarMatch",
    "SimilarTextDetector",
    "WorkMatch",
]

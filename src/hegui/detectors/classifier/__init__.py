"""The shipped risk classifier: hashed character n-grams, linear heads, calibrated scores (NumPy at run time).

``ClassifierDetector`` is the detector (name ``classifier``); ``ClassifierModel`` loads and scores a model
directory; ``hegui train`` (``hegui.detectors.classifier.train``) rebuilds the shipped model from its recipe.
Importing this package loads no data.
"""

from __future__ import annotations

from hegui.detectors.classifier.detector import ClassifierDetector
from hegui.detectors.classifier.model import ClassifierModel, shipped_model, shipped_model_dir

__all__ = ["ClassifierDetector", "ClassifierModel", "shipped_model", "shipped_model_dir"]

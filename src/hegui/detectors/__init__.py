"""hegui.detectors."""

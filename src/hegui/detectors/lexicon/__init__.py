"""hegui.detectors.lexicon."""

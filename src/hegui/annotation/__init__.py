"""Annotation quality (draft Art 8; GB/T 45674-2025; R-ANN-*): batches, role separation, sampled verification,
agreement between annotators, batch acceptance and annotator qualification."""

"""Evaluation and the security self-assessment (draft Art 6; TC260-003 §9; GB/T 45654 Appendix B): test banks and
their coverage, the runner against any OpenAI-compatible endpoint, judges, metrics and the report."""

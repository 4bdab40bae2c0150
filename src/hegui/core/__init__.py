"""Core vocabulary: types, errors, taxonomy. No I/O, no side effects."""

"""Training data (draft Art 7, Art 17; GB/T 45654 §5; R-DAT-*, R-PTD-*): corpus audits by source, on one machine
or on a Ray cluster, against the provenance ledger kept by :mod:`hegui.services.provenance`."""

"""The console's pages, one module per area; each has ``register(kit)`` adding its routes to ``kit.app``."""

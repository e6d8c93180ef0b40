"""The deployable functions; each sub-package is packaged on its own together with ``shared/``."""

"""Build the optional C accelerator. Everything else is in pyproject.toml.

The extension is optional: if it cannot be compiled, hegui falls back to the NumPy implementation
(same results, slower), and `hegui doctor`-style checks report which one is in use.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "hegui._native",
            sources=["src/hegui/_native.c"],
            optional=True,
            extra_compile_args=["-O3"],
        )
    ]
)

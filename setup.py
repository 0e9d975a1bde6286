from setuptools import setup

setup(cffi_modules=["harness/_build.py:builtin_ffi"])

from setuptools import setup

setup(cffi_modules=["harness/build/_build.py:builtin_ffi"])

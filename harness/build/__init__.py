"""Building and loading the C core: the cffi build, user scheme files (compile, cache), the loaded core."""

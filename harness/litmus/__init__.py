"""`python -m harness litmus`: the Linux kernel memory model's litmus shapes, run through the primitives a
scheme uses, in one process (the emulation's seeded interleaving) or by pinned real processes."""

"""The dependencies of Lambda functions and layers, below both ``functions/`` and ``layers/``.

Plain Python (no CDK import): the constructs of :mod:`cora_constructs.layers` and
:mod:`cora_constructs.functions` call into it, tests call it directly, and it imports neither.

- :mod:`.requirements`: reading ``requirements.txt`` files (lines with their numbers, names).
- :mod:`.pip`: the one pip command (manylinux2014_x86_64 / CPython 3.11 wheels into a folder)
  and pip's output made fit for a message.
- :mod:`.cache`: the per-user cache of bundles, keyed by content hash, filled atomically.
- :mod:`.binaries`: native files recognised by their first bytes (the ELF x86-64 check).
- :mod:`.distributions`: what a bundle holds, read from its ``*.dist-info`` folders.
- :mod:`.stacking`: a layer resolved on top of the layers below it (their pins win).
- :mod:`.bundle`: a layer's bundle built from its parts on top of that stack.
- :mod:`.sizes`: unzipped sizes and Lambda's limits (5 layers, 262,144,000 bytes).
"""

"""The optimised inference path: packed variable-length batches, fused QKV, in-place kernels.

It computes what ``XLMRobertaModel.forward`` computes, for encoders in eval mode, and sits beside
the plain path rather than replacing it: read ``modeling/`` to learn the model, read this to see
what it takes to make the same arithmetic fast. ``tests/test_packed.py`` proves them equal.
See docs/performance.md.
"""

from .packed import PackedOutput, encode_packed, encode_packed_rows

__all__ = ["PackedOutput", "encode_packed", "encode_packed_rows"]

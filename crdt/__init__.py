"""Pure, synchronous CRDT and protocol code. The only package that imports pycrdt."""

"""The tamper-evident public log (issue 21): an append-only Merkle tree hashed as RFC 9162,
signed checkpoints in the C2SP tlog-checkpoint and signed-note formats."""

"""Public profiles and verifiable credit reports (snapshots of the public record)."""

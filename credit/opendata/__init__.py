"""Open data: daily snapshots of the public record (files with a manifest)."""

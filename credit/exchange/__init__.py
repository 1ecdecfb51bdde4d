"""Data exchange with other systems: the national penalty-publicity format (双公示)."""

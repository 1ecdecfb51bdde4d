"""Signed webhooks (Standard Webhooks): subscribers' endpoints, events derived from the
change feed, and the worker's sender."""

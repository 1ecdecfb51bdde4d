"""Violations (违法失信信息) and their publicity rules."""

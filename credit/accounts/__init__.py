"""Parties that act on the platform: authorities, OAuth clients, console users, tokens."""

"""Integrity pledges (诚信承诺): templates with structured clauses, and firms' pledges."""

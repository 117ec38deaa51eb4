"""Tests of Pushover Plus."""

"""Test support shared by every app's tests (loaded by pytest through `-p`)."""

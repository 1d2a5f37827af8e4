"""Community's models."""

"""Listening's models."""

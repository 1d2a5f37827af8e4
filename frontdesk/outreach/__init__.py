"""Outreach: sender identities, templates, audiences, campaigns and deliveries (capability 4)."""

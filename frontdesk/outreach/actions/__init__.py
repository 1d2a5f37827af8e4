"""Every write of outreach; each takes the acting member as `by=` (None only where the
recipient themselves acts through a signed link, or the system records a bounce)."""

"""Every write to core data goes through a function here (see STYLE.md)."""

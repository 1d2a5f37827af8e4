"""Email: parsing real-world mail into a `ParsedEmail`, and sending replies."""

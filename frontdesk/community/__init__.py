"""Community: questions, suggestions, votes, answers, photos and moderation (capability 5)."""

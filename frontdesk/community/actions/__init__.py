"""Every community write: customers' posts and votes, staff's questions, merges,
statuses and announcements, and moderation. Staff actions take the acting
`Membership` as `by`; customers' take their `Participant`."""

"""Email: mailboxes read by IMAP, a built-in SMTP receiver, provider webhooks."""

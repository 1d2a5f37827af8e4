"""The SMS channel: customers text the workspace's number; staff answer from the inbox.

Providers sit behind `providers.base.SmsProvider` (Twilio first); the channel's
configuration (number, credentials, keywords, help text) lives in `models`.
"""

"""Adapters between Frontdesk and the outside world, one folder per provider.

`base.py` is the interface and its records, `http.py` the one outbound HTTP client;
`sms/` (SMS through a provider interface, Twilio first) and `webform/` (replies to
web-form customers by email) are adapters. This layer imports nothing of Frontdesk's
apps and reads no database: callers hand it frozen account records. Which adapter
serves which channel kind is declared by the channel apps (`frontdesk/channels/`,
see `frontdesk/inbox/kinds.py`).
"""

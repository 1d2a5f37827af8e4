"""The Django side of each channel: one app per kind under `channels/<kind>/`.

Each app holds its configuration model, webhook views, setup pages and templates,
and its reaction to a stored customer message, and declares one `ChannelKind`
(`frontdesk/inbox/kinds.py`) on its AppConfig. This package's own modules are the
pages and writes every kind shares (Settings → Channels, switching a channel on or
off). See docs/architecture.md for adding a channel.
"""

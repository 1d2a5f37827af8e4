"""Settings → Channels: the pages where admins connect and tune each channel.

App-less on purpose: the models belong to the inbox (`Channel`) and to each connector
(`sms.SmsChannelConfig`); this package only holds the setup pages' views, forms,
reads and writes, mounted at /w/<ws>/settings/channels/.
"""

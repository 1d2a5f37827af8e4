"""A throwaway channel app for tests: what adding a channel kind takes.

This folder plus one INSTALLED_APPS line is all of it (test_new_channel_kind.py):
the kind's setup page, webhook URL, channel-list entry and model choice appear.
"""

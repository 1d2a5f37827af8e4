"""Adapters between Frontdesk and the outside world, one folder per provider.

`base.py` is the interface and its records, `registry.py` the one list of channel
kinds, `http.py` the one outbound HTTP client.
"""

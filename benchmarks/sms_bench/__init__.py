"""The SMS webhook benchmark's parts (see benchmarks/sms_webhook.py and the README)."""

"""SMS providers: one module per provider behind the `SmsProvider` interface.

See `base.py` for the interface and the registry (`PROVIDERS`, `get_provider`).
"""

from frontdesk.connectors.sms.providers.base import (
    PROVIDERS,
    SmsAccount,
    SmsProvider,
    get_provider,
)

__all__ = ["PROVIDERS", "SmsAccount", "SmsProvider", "get_provider"]

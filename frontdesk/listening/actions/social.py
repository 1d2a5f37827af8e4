"""A staff member's own Mastodon and Bluesky accounts, and replies posted from them.

A member connects their own account (Mastodon: their server and an access token;
Bluesky: their handle and an app password); it is checked with the network before
it is kept, and only its owner ever posts with it. A conversation opened from a
Mastodon or Bluesky mention then offers "Reply as <you> on Mastodon" in its
composer (inbox/elsewhere.py); the reply is posted only when the person presses
Send, with the visibility they chose. A refusal (their token refused, a 422, a rate
limit) comes back as a ListeningError in the network's words, and the composer keeps
the text: nothing is lost and nothing is half-recorded.
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlsplit

from django.db import transaction

from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.bluesky import reply as bluesky_reply
from frontdesk.connectors.mastodon import reply as mastodon_reply
from frontdesk.core import roles
from frontdesk.core.models import Membership
from frontdesk.inbox import actions as inbox_actions
from frontdesk.inbox.elsewhere import ElsewhereRoute
from frontdesk.inbox.models import Conversation, Message
from frontdesk.listening.actions.common import ListeningError, require_to_act
from frontdesk.listening.models import Mention, SocialAccount, SocialNetwork

logger = logging.getLogger(__name__)

# Who sees a Mastodon reply, the first one offered: a private mention. A first
# contact from an organisation to someone who posted about it (often unhappily)
# should not draw more eyes to their post or put a brand into their public thread
# uninvited; they can still answer in public if they like. Bluesky has no private
# replies, so there the composer says the reply is public.
DEFAULT_VISIBILITY = "direct"


def visibility_choices(handle: str) -> tuple[tuple[str, str], ...]:
    return (
        ("direct", f"Only {handle} (private mention)"),
        ("unlisted", "In the thread, not on timelines"),
        ("public", "Public"),
    )


def _server(url: str, default: str) -> str:
    url = (url or "").strip().rstrip("/") or default
    if "://" not in url:
        url = f"https://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ListeningError(
            "Enter your server's address, like https://mastodon.social", field="server"
        )
    return f"{parts.scheme}://{parts.netloc}"


def connect_account(
    *,
    network: str,
    server: str = "",
    handle: str = "",
    secret: str,
    by: Membership,
) -> SocialAccount:
    """Connect `by`'s own account on `network` (replacing one connected before).

    Mastodon: `server` and an access token as `secret`; Bluesky: `handle` and an app
    password as `secret` (`server` is their PDS, bsky.social unless said). The
    network is asked who the account is before anything is stored."""
    require_to_act(by, by.workspace_id)
    secret = (secret or "").strip()
    if network == SocialNetwork.MASTODON:
        url = _server(server, "")
        if not secret:
            raise ListeningError("Paste an access token from your Mastodon server.", field="secret")
        try:
            confirmed = mastodon_reply.verify(mastodon_reply.MastodonPoster(url, secret))
        except ConnectorError as error:
            raise ListeningError(error.message, field="secret") from None
        fields = {"server": url, "handle": confirmed, "access_token": secret, "app_password": ""}
    elif network == SocialNetwork.BLUESKY:
        url = _server(server, bluesky_reply.DEFAULT_SERVER)
        handle = handle.strip().lstrip("@")
        if not handle or not secret:
            raise ListeningError("Enter your Bluesky handle and an app password.", field="handle")
        try:
            confirmed = bluesky_reply.verify(bluesky_reply.BlueskyPoster(handle, secret, url))
        except ConnectorError as error:
            raise ListeningError(error.message, field="secret") from None
        fields = {"server": url, "handle": confirmed, "access_token": "", "app_password": secret}
    else:
        raise ListeningError("Choose Mastodon or Bluesky.", field="network")
    with transaction.atomic():
        account, _ = SocialAccount.objects.update_or_create(
            membership=by,
            network=network,
            defaults={"workspace_id": by.workspace_id, **fields},
        )
    logger.info("social account connected", extra={"account": account.pk, "network": network})
    return account


def disconnect_account(account: SocialAccount, *, by: Membership) -> None:
    """Forget `by`'s own account (nobody else's)."""
    if account.membership_id != by.pk:
        raise ListeningError("Only its owner can disconnect an account.")
    account.delete()


def accounts_of(member: Membership) -> dict[str, SocialAccount]:
    return {a.network: a for a in SocialAccount.objects.filter(membership=member)}


def _mentions_of(conversation: Conversation) -> list[Mention]:
    return list(
        Mention.objects.filter(
            workspace_id=conversation.workspace_id,
            conversation=conversation,
            source__kind__in=SocialNetwork.values,
            removed_at__isnull=True,
        ).select_related("source")
    )


def _route(mention: Mention, account: SocialAccount) -> ElsewhereRoute:
    who = mention.author_handle or mention.author_label
    if account.network == SocialNetwork.MASTODON:
        return ElsewhereRoute(
            key=f"{account.network}:{mention.pk}",
            label=f"Reply as {account.handle} on Mastodon",
            hint=f"A reply to {who}’s post, from your own Mastodon account",
            choices=visibility_choices(who),
            choice=DEFAULT_VISIBILITY,
            choice_label="Who sees it",
            sender=account.handle,
        )
    return ElsewhereRoute(
        key=f"{account.network}:{mention.pk}",
        label=f"Reply as {account.handle} on Bluesky",
        hint=f"A public reply to {who}’s post, from your own Bluesky account",
        max_length=bluesky_reply.MAX_LENGTH,
        sender=account.handle,
    )


def reply_routes(conversation: Conversation, member: Membership) -> list[ElsewhereRoute]:
    """inbox/elsewhere.py's routes hook: a reply from `member`'s own account to each
    Mastodon or Bluesky post this conversation was opened from."""
    if not member.can(roles.REPLY):
        return []
    accounts = accounts_of(member)
    if not accounts:
        return []
    return [
        _route(m, accounts[m.source.kind])
        for m in _mentions_of(conversation)
        if m.source.kind in accounts
    ]


def post_reply(
    conversation: Conversation, key: str, *, body: str, choice: str, by: Membership
) -> Message:
    """inbox/elsewhere.py's send hook: post `body` as `by` in reply to the mention
    `key` names, then record it on the conversation as a sent reply."""
    require_to_act(by, conversation.workspace_id)
    network, _, pk = key.partition(":")
    mention = next((m for m in _mentions_of(conversation) if str(m.pk) == pk), None)
    account = accounts_of(by).get(network)
    if mention is None or account is None or mention.source.kind != network:
        raise ListeningError("That way of replying is not available to you here.")
    body = (body or "").strip()
    if not body:
        raise ListeningError("Write the reply first.")
    try:
        if network == SocialNetwork.MASTODON:
            visibility = choice or DEFAULT_VISIBILITY
            if visibility not in mastodon_reply.VISIBILITIES:
                raise ListeningError("Choose who sees the reply.")
            # The same text sent twice for the same post is one post (a double click,
            # a retry after a lost answer).
            idem = hashlib.sha256(f"{account.pk}:{mention.pk}:{body}".encode()).hexdigest()
            posted = mastodon_reply.post_reply(
                mastodon_reply.MastodonPoster(account.server, account.access_token),
                status_url=mention.url,
                text=body,
                visibility=visibility,
                idempotency_key=idem[:64],
            )
        else:
            posted = bluesky_reply.post_reply(
                bluesky_reply.BlueskyPoster(account.handle, account.app_password, account.server),
                post_uri=mention.external_id,
                text=body,
            )
    except ConnectorError as error:
        logger.warning(
            "posting a reply failed",
            extra={"mention": mention.pk, "network": network, "code": error.code},
        )
        raise ListeningError(error.message, code=error.code or "") from None
    url = posted.url if posted.url.startswith(("https://", "http://")) else ""
    message = inbox_actions.record_posted_reply(conversation, body=body, by=by, post_url=url)
    logger.info("reply posted", extra={"mention": mention.pk, "network": network})
    return message

"""Settings → Channels → an email address, and two message tools (the full original;
move to another conversation): parse, authorise, call one action, render."""

from __future__ import annotations

import re
from typing import Any

import nh3
from django.conf import settings
from django.contrib import messages
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from frontdesk.channels.actions import ChannelSetupError
from frontdesk.channels.email import actions
from frontdesk.channels.email.forms import EmailChannelForm
from frontdesk.channels.email.models import (
    DEFAULT_AUTO_ACK_TEXT,
    EmailChannelConfig,
    EmailDetail,
    ImapMailbox,
    UndeliverableAddress,
)
from frontdesk.channels.email.webhooks import PROVIDERS
from frontdesk.core import roles
from frontdesk.core.http import WorkspaceRequest
from frontdesk.core.models import Contact
from frontdesk.core.permissions import require, require_capability
from frontdesk.inbox.models import Attachment, Channel, Conversation, InboundEvent, Message

SECRETS = ("webhook_secret", "smtp_password", "api_key")
PROVIDER_NAMES = {
    "mailgun": "Mailgun",
    "postmark": "Postmark",
    "sendgrid": "SendGrid",
    "amazon_ses": "Amazon SES",
    "brevo": "Brevo",
}


def _apply_error(form: Any, exc: ChannelSetupError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


@sensitive_post_parameters(*SECRETS)
@require_capability(roles.MANAGE_CHANNELS)
def email_create(request: WorkspaceRequest) -> HttpResponse:
    form = EmailChannelForm(
        request.POST if request.method == "POST" else None,
        initial={"auto_ack_text": DEFAULT_AUTO_ACK_TEXT},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                channel = actions.create_email_channel(
                    request.workspace,
                    name=form.cleaned_data["name"],
                    setup=form.setup(),
                    by=request.membership,
                    auto_acknowledge=bool(form.cleaned_data.get("auto_acknowledge")),
                )
            except ChannelSetupError as exc:
                _apply_error(form, exc)
            else:
                messages.success(request, f"{channel.name} is set up. Point your mail at it below.")
                return redirect("channels:email-detail", ws=request.workspace.slug, pk=channel.pk)
        return render(request, "email/channel_new.html", {"form": form}, status=400)
    return render(request, "email/channel_new.html", {"form": form})


def webhook_urls(config: EmailChannelConfig) -> list[tuple[str, str, str]]:
    """(provider, inbound URL, tracking URL) for each supported provider."""
    found = []
    for provider in PROVIDERS:
        kwargs = {"key": config.webhook_key, "provider": provider}
        found.append(
            (
                provider,
                settings.PUBLIC_BASE_URL + reverse("email:inbound", kwargs=kwargs),
                settings.PUBLIC_BASE_URL + reverse("email:tracking", kwargs=kwargs),
            )
        )
    return found


@sensitive_post_parameters(*SECRETS)
def email_detail(request: WorkspaceRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(
        Channel.objects.for_workspace(request.workspace).filter(kind="email"), pk=pk
    )
    config: EmailChannelConfig = get_object_or_404(EmailChannelConfig, channel=channel)
    can_manage = request.membership.can(roles.MANAGE_CHANNELS)
    initial = {
        **model_to_dict(config, fields=[f for f in actions.SETUP_FIELDS if f not in SECRETS]),
        "name": channel.name,
        "auto_acknowledge": channel.auto_acknowledge,
    }
    # Not bound to the row: a blank secret must not overwrite the saved one.
    form = EmailChannelForm(
        request.POST if request.method == "POST" else None, initial=initial, editing=True
    )
    status = 200
    if request.method == "POST":
        require(request.membership, roles.MANAGE_CHANNELS)
        if form.is_valid():
            try:
                actions.update_email_channel(
                    config,
                    setup=form.setup(),
                    by=request.membership,
                    auto_acknowledge=form.cleaned_data.get("auto_acknowledge", False),
                )
            except ChannelSetupError as exc:
                _apply_error(form, exc)
            else:
                if form.cleaned_data["name"].strip() != channel.name:
                    Channel.objects.filter(pk=channel.pk).update(
                        name=form.cleaned_data["name"].strip()
                    )
                messages.success(request, "Saved.")
                return redirect("channels:email-detail", ws=request.workspace.slug, pk=channel.pk)
        status = 400
    failed = InboundEvent.objects.filter(channel=channel, status="failed").order_by("-id")[:20]
    return render(
        request,
        "email/channel_detail.html",
        {
            "channel": channel,
            "config": config,
            "form": form,
            "can_manage": can_manage,
            "hooks": [(PROVIDER_NAMES.get(p, p), i, t) for p, i, t in webhook_urls(config)],
            "imap_mailboxes": list(ImapMailbox.objects.filter(channel=channel).order_by("pk")[:20]),
            "failed_events": failed,
            "undeliverable": UndeliverableAddress.objects.for_workspace(request.workspace)[:50],
        },
        status=status,
    )


_CID = re.compile(r"""(["'(])cid:([^"')\s>]+)""", re.IGNORECASE)


def _original_html(detail: EmailDetail, message: Message, workspace_slug: str) -> str:
    """The mail's HTML, sanitised again, with `cid:` images pointing at their files."""
    if not detail.body_html:
        return ""
    stored = {a.file.name: a.pk for a in Attachment.objects.filter(message=message) if a.file}
    urls = {
        cid: reverse("inbox:attachment", kwargs={"ws": workspace_slug, "pk": stored[name]})
        for cid, name in (detail.inline_images or {}).items()
        if name in stored
    }

    def swap(match: re.Match[str]) -> str:
        url = urls.get(match.group(2).strip("<>"))
        return f"{match.group(1)}{url}" if url else match.group(0)

    html: str = nh3.clean(_CID.sub(swap, detail.body_html[:2_000_000]))
    return html


@require_capability(roles.VIEW_INBOX)
def email_original(request: WorkspaceRequest, message_pk: int) -> HttpResponse:
    """The whole mail as received: full text, the sanitised HTML in a sandboxed frame."""
    message = get_object_or_404(
        Message.objects.for_workspace(request.workspace).select_related("conversation"),
        pk=message_pk,
    )
    detail = get_object_or_404(EmailDetail, message=message)
    return render(
        request,
        "email/original.html",
        {
            "message": message,
            "conversation": message.conversation,
            "detail": detail,
            "html": _original_html(detail, message, request.workspace.slug),
        },
    )


@require_POST
@require_capability(roles.REPLY)
def email_move(request: WorkspaceRequest, message_pk: int) -> HttpResponse:
    """Move a customer's mail to the conversation with the number given."""
    message = get_object_or_404(Message.objects.for_workspace(request.workspace), pk=message_pk)
    try:
        number = int(request.POST.get("number", ""))
    except ValueError:
        number = 0
    target = get_object_or_404(Conversation.objects.for_workspace(request.workspace), number=number)
    actions.move_message(message, to=target, by=request.membership)
    messages.success(request, f"Moved to conversation {target.number}.")
    return redirect("inbox:conversation", ws=request.workspace.slug, number=target.number)


@require_POST
@require_capability(roles.REPLY)
def email_undeliverable_clear(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Staff say an address that bounced works again (back to the contact's page)."""
    marked = get_object_or_404(UndeliverableAddress.objects.for_workspace(request.workspace), pk=pk)
    address = actions.clear_undeliverable(marked, by=request.membership)
    messages.success(request, f"{address} is deliverable again: replies by email go out.")
    contact = request.POST.get("contact", "")
    if (
        contact.isdigit()
        and Contact.objects.for_workspace(request.workspace).filter(pk=int(contact)).exists()
    ):
        return redirect("core:contact-detail", ws=request.workspace.slug, pk=int(contact))
    return redirect("core:contact-list", ws=request.workspace.slug)

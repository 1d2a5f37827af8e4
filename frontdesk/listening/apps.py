from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "frontdesk.listening"
    label = "listening"
    verbose_name = "Listening"
    # A reply from a member's own Mastodon or Bluesky account (frontdesk/inbox/elsewhere.py).
    reply_elsewhere = (
        "frontdesk.listening.actions.social.reply_routes",
        "frontdesk.listening.actions.social.post_reply",
    )
    # The feed reader, started with the worker rather than by its first poll.
    worker_threads = ("frontdesk.listening.fetcher.run_in_worker",)

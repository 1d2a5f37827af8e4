from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "frontdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts"

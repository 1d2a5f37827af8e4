from __future__ import annotations

from django import forms


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        help_text="What will use it, so you recognise it later, e.g. “catalogue sync”.",
    )

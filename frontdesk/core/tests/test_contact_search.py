"""Contact search and the merge finder find a phone number however it is typed."""

from __future__ import annotations

import re
import warnings

import pytest
from django.core.paginator import UnorderedObjectListWarning

from frontdesk.core.actions.contacts import create_contact

pytestmark = pytest.mark.django_db

TYPED = ["+1 555-010-0177", "(555) 010-0177", "555 010 0177", "555.010.0177", "0100177"]


def names_on(page: str) -> list[str]:
    return re.findall(r'class="row-link" href="[^"]+">([^<]+)</a>', page)


@pytest.fixture
def ana(riverside):
    return create_contact(
        riverside, name="Ana Lopez", identities=[("phone", "+15550100177")], by=None
    )


@pytest.mark.parametrize("typed", TYPED)
def test_contact_search_finds_a_number_however_it_is_typed(cast, client_for, riverside, ana, typed):
    create_contact(riverside, name="Ben", identities=[("phone", "+15550100999")], by=None)
    assert riverside.default_country == "US"
    page = client_for(cast["agent"]).get("/w/riverside/contacts/", {"q": typed})
    assert names_on(page.content.decode()) == ["Ana Lopez"]


@pytest.mark.parametrize("typed", TYPED[:3])
def test_merge_finder_finds_a_number_however_it_is_typed(cast, client_for, riverside, ana, typed):
    twin = create_contact(
        riverside, name="A. Lopez", identities=[("email", "a@example.org")], by=None
    )
    page = (
        client_for(cast["agent"])
        .get(f"/w/riverside/contacts/{twin.pk}/", {"merge_q": typed})
        .content.decode()
    )
    assert f'name="other" value="{ana.pk}"' in page


def test_a_local_number_is_read_in_the_workspaces_country(cast, client_for, riverside):
    riverside.default_country = "GB"
    riverside.save()
    create_contact(riverside, name="Edith", identities=[("phone", "+442079460958")], by=None)
    page = client_for(cast["agent"]).get("/w/riverside/contacts/", {"q": "020 7946 0958"})
    assert names_on(page.content.decode()) == ["Edith"]


def test_contact_list_pages_in_a_stable_order(cast, client_for, riverside):
    for n in range(30):
        create_contact(riverside, name=f"Reader {n:02}", identities=[], by=None)
    client = client_for(cast["agent"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnorderedObjectListWarning)
        first = names_on(client.get("/w/riverside/contacts/").content.decode())
        second = names_on(client.get("/w/riverside/contacts/", {"page": 2}).content.decode())
        searched = names_on(client.get("/w/riverside/contacts/", {"q": "Reader"}).content.decode())
    assert len(first) == 25 and len(second) == 5
    assert not set(first) & set(second)
    assert searched == first

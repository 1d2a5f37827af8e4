"""GET /me: who the token acts as, and in which workspace."""

from __future__ import annotations

from ninja import Router, Schema

from frontdesk.core.http import WorkspaceRequest

router = Router(tags=["me"])


class WorkspaceOut(Schema):
    slug: str
    name: str
    time_zone: str
    default_country: str


class MemberOut(Schema):
    id: int
    display_name: str
    title: str
    email: str
    role: str
    photo_url: str | None


class TokenOut(Schema):
    name: str
    prefix: str


class MeOut(Schema):
    member: MemberOut
    workspace: WorkspaceOut
    token: TokenOut


@router.get("", response=MeOut, summary="The staff member this token acts as")
def me(request: WorkspaceRequest) -> dict[str, object]:
    membership = request.membership
    workspace = request.workspace
    token = request.auth  # type: ignore[attr-defined]
    photo_url = request.build_absolute_uri(membership.photo.url) if membership.photo else None
    return {
        "member": {
            "id": membership.pk,
            "display_name": membership.display_name,
            "title": membership.title,
            "email": membership.user.email,
            "role": membership.role,
            "photo_url": photo_url,
        },
        "workspace": {
            "slug": workspace.slug,
            "name": workspace.name,
            "time_zone": workspace.time_zone,
            "default_country": workspace.default_country,
        },
        "token": {"name": token.name, "prefix": token.prefix},
    }

"""Who may do what with protocols, spaces and documents. Deny by default.

Predicates ``can_<verb>(user, obj)`` answer for templates and services; fetchers
``access_<model>(user, pk, *, for_write)`` return the object or raise: unknown or invisible
gives 404 (existence does not leak), visible but not writable gives 403.

A document is open to a user only while all of these hold: its space's protocol is in force
(active and within its dates), the user is a current member of the space, the document is not
destroyed and its access has not expired, and the user acts for its owning party or holds a live
grant (to them, or to the party they act for in the space). An OFFICIAL-SENSITIVE document also
needs a second factor given within the last ``SENSITIVE_SECOND_FACTOR_HOURS``; views check that
with ``second_factor_fresh_for`` because the time lives in the user's session, not their account.
"""

import time
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from sharing.integration import hooks
from sharing.models import (
    Classification,
    Document,
    Grant,
    Protocol,
    ProtocolParty,
    ProtocolStatus,
    Space,
    SpaceMember,
)


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


# Protocols ------------------------------------------------------------------------------------


def can_draft_protocol(user: Any, scope_id: int) -> bool:
    if not _active(user):
        return False
    return hooks().manages_scope(user, scope_id)


def can_manage_protocol(user: Any, protocol: Protocol) -> bool:
    if not _active(user):
        return False
    return hooks().manages_scope(user, protocol.scope_id)


def visible_protocols(user: Any) -> QuerySet[Protocol]:
    """Those of the scopes the user manages, and those their parties are party to."""
    if not _active(user):
        return Protocol.objects.none()
    scopes, parties = hooks().managed_scopes(user), hooks().parties_of(user)
    return Protocol.objects.filter(
        Q(scope_id__in=scopes) | Q(parties__party_id__in=parties) | Q(parties__signatory=user)
    ).distinct()


def access_protocol(user: Any, protocol_id: int, *, for_write: bool) -> Protocol:
    protocol = visible_protocols(user).filter(pk=protocol_id).first()
    if protocol is None:
        raise Http404
    if for_write and not can_manage_protocol(user, protocol):
        raise PermissionDenied
    return protocol


def can_edit_protocol(user: Any, protocol: Protocol) -> bool:
    """Only a draft that nobody has signed: signatures are to the text as it stood."""
    if not can_manage_protocol(user, protocol):
        return False
    if protocol.status != ProtocolStatus.DRAFT:
        return False
    return not protocol.parties.filter(signed_at__isnull=False).exists()


def can_sign(user: Any, party: ProtocolParty) -> bool:
    if not _active(user):
        return False
    if party.signatory_id != user.pk or party.signed_at is not None:
        return False
    if party.protocol.status != ProtocolStatus.DRAFT:
        return False
    return party.party_id in hooks().parties_of(user)


def can_suspend(user: Any, protocol: Protocol) -> bool:
    return protocol.status == ProtocolStatus.ACTIVE and can_manage_protocol(user, protocol)


def can_reinstate(user: Any, protocol: Protocol) -> bool:
    if protocol.status != ProtocolStatus.SUSPENDED:
        return False
    if protocol.valid_to < timezone.localdate():
        return False
    return can_manage_protocol(user, protocol)


def can_withdraw(user: Any, protocol: Protocol) -> bool:
    if protocol.status in (ProtocolStatus.WITHDRAWN, ProtocolStatus.EXPIRED):
        return False
    return can_manage_protocol(user, protocol)


def can_redraft(user: Any, protocol: Protocol) -> bool:
    """A new version can be drafted from any protocol that is no longer a draft."""
    return protocol.status != ProtocolStatus.DRAFT and can_manage_protocol(user, protocol)


# Spaces ---------------------------------------------------------------------------------------


def current_member(user: Any, space: Space) -> SpaceMember | None:
    if not _active(user):
        return None
    return SpaceMember.objects.current().filter(space=space, user=user).first()


def visible_spaces(user: Any) -> QuerySet[Space]:
    if not _active(user):
        return Space.objects.none()
    return Space.objects.filter(
        Q(protocol__scope_id__in=hooks().managed_scopes(user)) | Q(members__user=user, members__removed_at__isnull=True)
    ).distinct()


def can_manage_space(user: Any, space: Space) -> bool:
    return can_manage_protocol(user, space.protocol)


def access_space(user: Any, space_id: int, *, for_write: bool) -> Space:
    space = visible_spaces(user).select_related("protocol").filter(pk=space_id).first()
    if space is None:
        raise Http404
    if for_write and not can_manage_space(user, space):
        raise PermissionDenied
    return space


def can_create_space(user: Any, protocol: Protocol) -> bool:
    if protocol.status in (ProtocolStatus.WITHDRAWN, ProtocolStatus.EXPIRED):
        return False
    return can_manage_protocol(user, protocol)


def can_upload(user: Any, space: Space) -> bool:
    if not space.protocol.in_force():
        return False
    return current_member(user, space) is not None


# Documents ------------------------------------------------------------------------------------


def visible_documents(user: Any, space: Space) -> QuerySet[Document]:
    """The documents of ``space`` the user may open now (see the module docstring)."""
    member = current_member(user, space)
    if member is None or not space.protocol.in_force():
        return Document.objects.none()
    now = timezone.now()
    granted = Grant.objects.live().filter(Q(user=user) | Q(party_id=member.party_id))
    return Document.objects.filter(
        Q(owner_party_id=member.party_id) | Q(pk__in=granted.values("document_id")),
        Q(access_expires_at__isnull=True) | Q(access_expires_at__gt=now),
        space=space,
        shredded_at__isnull=True,
    )


def access_document(user: Any, document_id: int, *, for_write: bool) -> Document:
    """The document if the user may open it now; writing (new versions, grants) is for its owners."""
    document = Document.objects.select_related("space__protocol", "owner_party").filter(pk=document_id).first()
    if document is None or not can_open(user, document):
        raise Http404
    if for_write and not acts_for_owner(user, document):
        raise PermissionDenied
    return document


def can_open(user: Any, document: Document) -> bool:
    return visible_documents(user, document.space).filter(pk=document.pk).exists()


def acts_for_owner(user: Any, document: Document) -> bool:
    """Whether the user is a current member acting for the document's owning party."""
    member = current_member(user, document.space)
    if member is None:
        return False
    return member.party_id == document.owner_party_id


def can_add_version(user: Any, document: Document) -> bool:
    if not can_open(user, document):
        return False
    return acts_for_owner(user, document)


def can_grant(user: Any, document: Document) -> bool:
    """The owning party's members share the document onward, within the space."""
    if not can_open(user, document):
        return False
    return acts_for_owner(user, document)


def can_hold(user: Any, document: Document) -> bool:
    """Legal holds are for those who run the space, whether or not they may read the document."""
    if document.shredded_at is not None:
        return False
    return can_manage_space(user, document.space)


# An OFFICIAL-SENSITIVE document needs a second factor given within this many hours.
SENSITIVE_SECOND_FACTOR_HOURS = 12


def second_factor_fresh_for(document: Document, proved_at: float | None) -> bool:
    """Whether a second factor given at ``proved_at`` (a Unix time) is recent enough for the document."""
    if document.classification != Classification.OFFICIAL_SENSITIVE:
        return True
    if proved_at is None:
        return False
    return time.time() - proved_at < SENSITIVE_SECOND_FACTOR_HOURS * 3600

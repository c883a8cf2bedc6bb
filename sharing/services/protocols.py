"""Drafting, signing and ending protocols; creating spaces and keeping their members."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from sharing import access
from sharing.integration import hooks
from sharing.models import (
    LegalBasis,
    Protocol,
    ProtocolParty,
    ProtocolStatus,
    Space,
    SpaceMember,
)
from sharing.services import record_change

# Protocols ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyLine:
    """One party as drafted: the organisation, who signs for it, and in what role."""

    party_id: int
    signatory_id: int
    signatory_role: str


PROTOCOL_FIELDS = (
    "title",
    "purposes",
    "legal_bases",
    "legal_basis_other",
    "max_classification",
    "data_categories",
    "retention_months",
    "valid_from",
    "valid_to",
    "review_date",
)


def _check_protocol(fields: dict[str, Any], parties: list[PartyLine], scope_id: int) -> None:
    errors: dict[str, str] = {}
    if not fields["legal_bases"]:
        errors["legal_bases"] = "Select at least one legal basis for sharing"
    elif LegalBasis.OTHER in fields["legal_bases"] and not fields["legal_basis_other"].strip():
        errors["legal_basis_other"] = "Describe the other legal basis"
    if fields["valid_to"] < fields["valid_from"]:
        errors["valid_to"] = "The end of the protocol must be on or after its start"
    if not fields["valid_from"] <= fields["review_date"] <= fields["valid_to"]:
        errors["review_date"] = "The review date must be between the protocol's start and end"
    if len(parties) < 2:
        errors["__all__"] = "A protocol needs at least two parties"
    chosen = [line.party_id for line in parties]
    if len(set(chosen)) != len(chosen):
        errors["__all__"] = "Each agency can be a party only once"
    allowed = {pk for pk, _ in hooks().party_choices(scope_id)}
    for line in parties:
        if line.party_id not in allowed:
            errors["__all__"] = "Choose parties from the partnership's agencies"
        elif line.signatory_id not in {pk for pk, _ in hooks().people_of_party(line.party_id)}:
            errors["__all__"] = "Each signatory must work for the agency they sign for"
    if errors:
        raise ValidationError(errors)


def _set_parties(protocol: Protocol, parties: list[PartyLine]) -> None:
    protocol.parties.all().delete()
    ProtocolParty.objects.bulk_create(
        ProtocolParty(
            protocol=protocol,
            party_id=line.party_id,
            signatory_id=line.signatory_id,
            signatory_role=line.signatory_role,
        )
        for line in parties
    )


def draft_protocol(
    *, actor: Any, scope_id: int, fields: dict[str, Any], parties: list[PartyLine], request: HttpRequest | None
) -> Protocol:
    if not access.can_draft_protocol(actor, scope_id):
        raise PermissionDenied
    _check_protocol(fields, parties, scope_id)
    with transaction.atomic():
        protocol = Protocol.objects.create(
            scope_id=scope_id, created_by=actor, **{name: fields[name] for name in PROTOCOL_FIELDS}
        )
        _set_parties(protocol, parties)
        record_change("sharing.protocol_drafted", actor=actor, target=protocol, scope_id=scope_id, request=request)
    return protocol


STALE_PROTOCOL = (
    "Someone else saved this protocol while you were editing it, so your changes were not saved. "
    "Open the protocol again to see it as it is now, then make your changes again."
)


def update_protocol(
    protocol: Protocol,
    *,
    actor: Any,
    fields: dict[str, Any],
    parties: list[PartyLine],
    revision: int,
    request: HttpRequest | None,
) -> Protocol:
    """Save a draft as edited from ``revision``; refused if anyone saved it since (no lost update)."""
    _check_protocol(fields, parties, protocol.scope_id)
    with transaction.atomic():
        protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
        if not access.can_edit_protocol(actor, protocol):
            raise PermissionDenied
        if protocol.revision != revision:
            raise ValidationError({NON_FIELD_ERRORS: ValidationError(STALE_PROTOCOL, code="stale")})
        for name in PROTOCOL_FIELDS:
            setattr(protocol, name, fields[name])
        protocol.revision += 1
        protocol.save()
        _set_parties(protocol, parties)
        record_change(
            "sharing.protocol_updated", actor=actor, target=protocol, scope_id=protocol.scope_id, request=request
        )
    return protocol


def sign_protocol(party: ProtocolParty, *, actor: Any, request: HttpRequest | None) -> Protocol:
    """Sign for one party; the protocol becomes active when the last party signs."""
    with transaction.atomic():
        protocol = Protocol.objects.select_for_update().get(pk=party.protocol_id)
        party = ProtocolParty.objects.select_related("protocol").get(pk=party.pk)
        if not access.can_sign(actor, party):
            raise PermissionDenied
        now = timezone.now()
        party.signed_at = now
        party.save(update_fields=["signed_at"])
        record_change(
            "sharing.protocol_signed",
            actor=actor,
            target=protocol,
            scope_id=protocol.scope_id,
            request=request,
            party=party.party_id,
            role=party.signatory_role,
        )
        if not protocol.parties.filter(signed_at__isnull=True).exists():
            protocol.status = ProtocolStatus.ACTIVE
            protocol.activated_at = protocol.status_changed_at = now
            protocol.save(update_fields=["status", "activated_at", "status_changed_at"])
            record_change(
                "sharing.protocol_activated", actor=actor, target=protocol, scope_id=protocol.scope_id, request=request
            )
    return protocol


def _change_status(
    protocol: Protocol,
    *,
    actor: Any,
    allowed: Any,
    status: ProtocolStatus,
    action: str,
    reason: str,
    request: HttpRequest | None,
) -> Protocol:
    with transaction.atomic():
        protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
        if not allowed(actor, protocol):
            raise PermissionDenied
        protocol.status, protocol.status_reason = status, reason
        protocol.status_changed_at = timezone.now()
        protocol.save(update_fields=["status", "status_reason", "status_changed_at"])
        record_change(action, actor=actor, target=protocol, scope_id=protocol.scope_id, request=request)
    return protocol


def suspend_protocol(protocol: Protocol, *, actor: Any, reason: str, request: HttpRequest | None) -> Protocol:
    """Stop all sharing under the protocol at once, until it is reinstated."""
    return _change_status(
        protocol,
        actor=actor,
        allowed=access.can_suspend,
        status=ProtocolStatus.SUSPENDED,
        action="sharing.protocol_suspended",
        reason=reason,
        request=request,
    )


def reinstate_protocol(protocol: Protocol, *, actor: Any, request: HttpRequest | None) -> Protocol:
    return _change_status(
        protocol,
        actor=actor,
        allowed=access.can_reinstate,
        status=ProtocolStatus.ACTIVE,
        action="sharing.protocol_reinstated",
        reason="",
        request=request,
    )


def withdraw_protocol(protocol: Protocol, *, actor: Any, reason: str, request: HttpRequest | None) -> Protocol:
    """End the protocol for good; a new version can be drafted from it."""
    return _change_status(
        protocol,
        actor=actor,
        allowed=access.can_withdraw,
        status=ProtocolStatus.WITHDRAWN,
        action="sharing.protocol_withdrawn",
        reason=reason,
        request=request,
    )


def redraft_protocol(protocol: Protocol, *, actor: Any, request: HttpRequest | None) -> Protocol:
    """Start the next version as an unsigned draft with the same terms and parties."""
    with transaction.atomic():
        protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
        if not access.can_redraft(actor, protocol):
            raise PermissionDenied
        draft = Protocol.objects.create(
            scope_id=protocol.scope_id,
            created_by=actor,
            version=protocol.version + 1,
            previous=protocol,
            **{name: getattr(protocol, name) for name in PROTOCOL_FIELDS},
        )
        _set_parties(
            draft,
            [PartyLine(p.party_id, p.signatory_id, p.signatory_role) for p in protocol.parties.all()],
        )
        record_change(
            "sharing.protocol_drafted",
            actor=actor,
            target=draft,
            scope_id=draft.scope_id,
            request=request,
            previous=protocol.pk,
        )
    return draft


def expire_protocols(*, today: date | None = None) -> int:
    """Mark every protocol past its end as expired (Celery beat, daily); return how many."""
    today = today or timezone.localdate()
    expired = 0
    stale = Protocol.objects.filter(
        status__in=(ProtocolStatus.ACTIVE, ProtocolStatus.SUSPENDED, ProtocolStatus.DRAFT), valid_to__lt=today
    )
    for pk in stale.values_list("pk", flat=True):
        with transaction.atomic():
            protocol = Protocol.objects.select_for_update().get(pk=pk)
            if protocol.valid_to >= today or protocol.status in (ProtocolStatus.EXPIRED, ProtocolStatus.WITHDRAWN):
                continue
            protocol.status, protocol.status_changed_at = ProtocolStatus.EXPIRED, timezone.now()
            protocol.save(update_fields=["status", "status_changed_at"])
            record_change(
                "sharing.protocol_expired", actor=None, target=protocol, scope_id=protocol.scope_id, request=None
            )
            expired += 1
    return expired


# Spaces ---------------------------------------------------------------------------------------


def create_space(protocol: Protocol, *, actor: Any, name: str, request: HttpRequest | None) -> Space:
    with transaction.atomic():
        if not access.can_create_space(actor, protocol):
            raise PermissionDenied
        space = Space.objects.create(protocol=protocol, name=name, created_by=actor)
        record_change("sharing.space_created", actor=actor, target=space, scope_id=protocol.scope_id, request=request)
    return space


def add_member(space: Space, *, actor: Any, user_id: int, party_id: int, request: HttpRequest | None) -> SpaceMember:
    """Add a user acting for a party to the protocol; they must work for that party."""
    if not access.can_manage_space(actor, space):
        raise PermissionDenied
    if not space.protocol.parties.filter(party_id=party_id).exists():
        raise ValidationError({"party": "The agency must be a party to the space's protocol"})
    if user_id not in {pk for pk, _ in hooks().people_of_party(party_id)}:
        raise ValidationError({"user": "The person must work for the agency they act for"})
    with transaction.atomic():
        Space.objects.select_for_update().get(pk=space.pk)
        if SpaceMember.objects.current().filter(space=space, user_id=user_id).exists():
            raise ValidationError({"user": "The person is already a member of this space"})
        member = SpaceMember.objects.create(space=space, user_id=user_id, party_id=party_id, added_by=actor)
        record_change(
            "sharing.member_added",
            actor=actor,
            target=space,
            scope_id=space.protocol.scope_id,
            request=request,
            user=user_id,
            party=party_id,
        )
    return member


def remove_member(member: SpaceMember, *, actor: Any, request: HttpRequest | None) -> None:
    """Remove a member; their access to every document of the space ends at once."""
    with transaction.atomic():
        member = SpaceMember.objects.select_for_update().select_related("space__protocol").get(pk=member.pk)
        if not access.can_manage_space(actor, member.space) or member.removed_at is not None:
            raise PermissionDenied
        member.removed_at, member.removed_by = timezone.now(), actor
        member.save(update_fields=["removed_at", "removed_by"])
        record_change(
            "sharing.member_removed",
            actor=actor,
            target=member.space,
            scope_id=member.space.protocol.scope_id,
            request=request,
            user=member.user_id,
        )

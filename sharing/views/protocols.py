"""Pages for information-sharing protocols and secure spaces."""

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from sharing import access
from sharing.forms import MemberForm, ProtocolForm, ReasonForm, SpaceForm, party_formset
from sharing.integration import hooks
from sharing.models import Document, Protocol, ProtocolParty, ProtocolStatus, SpaceMember
from sharing.services import protocols as services
from sharing.views import PAGE_SIZE, fresh_second_factor, posted, signed_in_view, status_for, submit

# The register warns of protocols that end, or are due for review, within this time.
EXPIRY_WARNING = timedelta(days=60)


# Protocols ------------------------------------------------------------------------------------


@signed_in_view
def protocol_register(request: HttpRequest) -> HttpResponse:
    protocols = access.visible_protocols(request.user).prefetch_related("parties").order_by("valid_to", "title")
    page = Paginator(protocols, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    soon = today + EXPIRY_WARNING
    rows = [
        {
            "protocol": protocol,
            "ending_soon": protocol.status == ProtocolStatus.ACTIVE and protocol.valid_to <= soon,
            "review_due": protocol.status == ProtocolStatus.ACTIVE and protocol.review_date <= soon,
            "signed": sum(1 for party in protocol.parties.all() if party.signed_at),
            "parties": len(protocol.parties.all()),
        }
        for protocol in page
    ]
    return render(
        request,
        "sharing/protocol_register.html",
        {"page": page, "rows": rows, "can_draft": bool(hooks().managed_scopes(request.user)), "today": today},
    )


def _protocol_form_page(
    request: HttpRequest,
    form: ProtocolForm,
    parties: Any,
    *,
    protocol: Protocol | None,
    scope_id: int | None,
    revision: int | None = None,
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "sharing/protocol_form.html",
        {"form": form, "parties": parties, "protocol": protocol, "scope_id": scope_id, "revision": revision},
        status=status,
    )


def _lines(parties: Any) -> list[services.PartyLine]:
    return [line for form in parties.forms if (line := form.line()) is not None]


@signed_in_view
def protocol_new(request: HttpRequest) -> HttpResponse:
    scopes = sorted(hooks().managed_scopes(request.user))
    if not scopes:
        return render(request, "sharing/not_allowed.html", status=403)
    scope_id = scopes[0]
    if len(scopes) > 1:
        chosen = request.POST.get("scope") or request.GET.get("scope")
        scope_id = int(chosen) if chosen and chosen.isascii() and chosen.isdigit() and int(chosen) in scopes else 0
        if not scope_id:
            return render(request, "sharing/choose_scope.html", {"scopes": _scope_names(scopes)})
    form = ProtocolForm(posted(request))
    parties = party_formset(posted(request), scope_id=scope_id)
    if request.method == "POST" and form.is_valid() and parties.is_valid():
        protocol = submit(
            form,
            lambda: services.draft_protocol(
                actor=request.user,
                scope_id=scope_id,
                fields=form.cleaned_data,
                parties=_lines(parties),
                request=request,
            ),
        )
        if protocol is not None:
            return redirect("sharing:protocol", protocol_id=protocol.pk)
    return _protocol_form_page(request, form, parties, protocol=None, scope_id=scope_id)


def _scope_names(scopes: list[int]) -> list[tuple[int, str]]:
    model = apps.get_model(settings.SHARING_SCOPE_MODEL)
    return [(scope.pk, str(scope)) for scope in model.objects.filter(pk__in=scopes)]


@signed_in_view
def protocol_edit(request: HttpRequest, protocol_id: int) -> HttpResponse:
    protocol = access.access_protocol(request.user, protocol_id, for_write=True)
    if not access.can_edit_protocol(request.user, protocol):
        return render(request, "sharing/protocol_locked.html", {"protocol": protocol}, status=403)
    initial = {name: getattr(protocol, name) for name in services.PROTOCOL_FIELDS}
    form = ProtocolForm(posted(request), initial=initial)
    # The draft as the editor first saw it: a save made since then refuses theirs.
    sent = request.POST.get("revision", "") if request.method == "POST" else str(protocol.revision)
    revision = int(sent) if sent.isascii() and sent.isdigit() else -1
    parties = party_formset(
        posted(request),
        scope_id=protocol.scope_id,
        initial=[
            {"party": p.party_id, "signatory": p.signatory_id, "signatory_role": p.signatory_role}
            for p in protocol.parties.all()
        ],
    )
    if request.method == "POST" and form.is_valid() and parties.is_valid():
        updated = submit(
            form,
            lambda: services.update_protocol(
                protocol,
                actor=request.user,
                fields=form.cleaned_data,
                parties=_lines(parties),
                revision=revision,
                request=request,
            ),
        )
        if updated is not None:
            return redirect("sharing:protocol", protocol_id=protocol.pk)
    return _protocol_form_page(request, form, parties, protocol=protocol, scope_id=protocol.scope_id, revision=revision)


@signed_in_view
def protocol_detail(request: HttpRequest, protocol_id: int) -> HttpResponse:
    protocol = access.access_protocol(request.user, protocol_id, for_write=False)
    parties = list(protocol.parties.select_related("party", "signatory"))
    user = request.user
    return render(
        request,
        "sharing/protocol_detail.html",
        {
            "protocol": protocol,
            "parties": [(party, access.can_sign(user, party)) for party in parties],
            "spaces": access.visible_spaces(user).filter(protocol=protocol),
            "can_edit": access.can_edit_protocol(user, protocol),
            "can_suspend": access.can_suspend(user, protocol),
            "can_reinstate": access.can_reinstate(user, protocol),
            "can_withdraw": access.can_withdraw(user, protocol),
            "can_redraft": access.can_redraft(user, protocol),
            "can_create_space": access.can_create_space(user, protocol),
            "in_force": protocol.in_force(),
        },
    )


@signed_in_view
@fresh_second_factor
def protocol_sign(request: HttpRequest, protocol_id: int, party_id: int) -> HttpResponse:
    protocol = access.access_protocol(request.user, protocol_id, for_write=False)
    party = get_object_or_404(ProtocolParty.objects.select_related("party", "protocol"), pk=party_id, protocol=protocol)
    if not access.can_sign(request.user, party):
        return render(request, "sharing/not_allowed.html", status=403)
    if request.method == "POST":
        services.sign_protocol(party, actor=request.user, request=request)
        return redirect("sharing:protocol", protocol_id=protocol.pk)
    return render(request, "sharing/protocol_sign.html", {"protocol": protocol, "party": party})


def _reason_page(request: HttpRequest, protocol: Protocol, action: Any, template: str) -> HttpResponse:
    form = ReasonForm(posted(request))
    if form.is_valid():
        action(protocol, actor=request.user, reason=form.cleaned_data["reason"], request=request)
        return redirect("sharing:protocol", protocol_id=protocol.pk)
    return render(request, template, {"form": form, "protocol": protocol}, status=status_for(form))


@signed_in_view
@fresh_second_factor
def protocol_suspend(request: HttpRequest, protocol_id: int) -> HttpResponse:
    protocol = access.access_protocol(request.user, protocol_id, for_write=True)
    if not access.can_suspend(request.user, protocol):
        return render(request, "sharing/not_allowed.html", status=403)
    return _reason_page(request, protocol, services.suspend_protocol, "sharing/protocol_suspend.html")


@signed_in_view
@fresh_second_factor
def protocol_withdraw(request: HttpRequest, protocol_id: int) -> HttpResponse:
    protocol = access.access_protocol(request.user, protocol_id, for_write=True)
    if not access.can_withdraw(request.user, protocol):
        return render(request, "sharing/not_allowed.html", status=403)
    return _reason_page(request, protocol, services.withdraw_protocol, "sharing/protocol_withdraw.html")


@signed_in_view
@fresh_second_factor
@require_POST
def protocol_reinstate(request: HttpRequest, protocol_id: int) -> HttpResponse:
    protocol = access.access_protocol(request.user, protocol_id, for_write=True)
    services.reinstate_protocol(protocol, actor=request.user, request=request)
    return redirect("sharing:protocol", protocol_id=protocol.pk)


@signed_in_view
@require_POST
def protocol_redraft(request: HttpRequest, protocol_id: int) -> HttpResponse:
    protocol = access.access_protocol(request.user, protocol_id, for_write=True)
    draft = services.redraft_protocol(protocol, actor=request.user, request=request)
    return redirect("sharing:protocol_edit", protocol_id=draft.pk)


# Spaces ---------------------------------------------------------------------------------------


@signed_in_view
def space_list(request: HttpRequest) -> HttpResponse:
    spaces = access.visible_spaces(request.user).select_related("protocol").order_by("name")
    page = Paginator(spaces, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sharing/space_list.html", {"page": page})


@signed_in_view
def space_new(request: HttpRequest, protocol_id: int) -> HttpResponse:
    protocol = access.access_protocol(request.user, protocol_id, for_write=True)
    if not access.can_create_space(request.user, protocol):
        return render(request, "sharing/not_allowed.html", status=403)
    form = SpaceForm(posted(request))
    if form.is_valid():
        space = services.create_space(protocol, actor=request.user, name=form.cleaned_data["name"], request=request)
        return redirect("sharing:space", space_id=space.pk)
    return render(request, "sharing/space_new.html", {"form": form, "protocol": protocol}, status=status_for(form))


@signed_in_view
def space_detail(request: HttpRequest, space_id: int) -> HttpResponse:
    space = access.access_space(request.user, space_id, for_write=False)
    members = SpaceMember.objects.current().filter(space=space).select_related("user", "party").order_by("added_at")
    documents = access.visible_documents(request.user, space).select_related("owner_party").order_by("-created_at")
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = access.can_manage_space(request.user, space)
    retention = None
    if can_manage:
        every_document = Document.objects.filter(space=space).select_related("owner_party").order_by("pk")
        retention = Paginator(every_document, PAGE_SIZE).get_page(request.GET.get("retention_page"))
    return render(
        request,
        "sharing/space_detail.html",
        {
            "space": space,
            "members": members,
            "page": page,
            "in_force": space.protocol.in_force(),
            "can_manage": can_manage,
            "retention": retention,
            "can_upload": access.can_upload(request.user, space),
        },
    )


def _member_choices(space: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    groups = []
    for party in space.protocol.parties.select_related("party"):
        people = hooks().people_of_party(party.party_id)
        groups.append((str(party.party), [(f"{user_id}:{party.party_id}", label) for user_id, label in people]))
    return groups


@signed_in_view
def member_add(request: HttpRequest, space_id: int) -> HttpResponse:
    space = access.access_space(request.user, space_id, for_write=True)
    form = MemberForm(posted(request), choices=_member_choices(space))
    if form.is_valid():
        user_id, party_id = (int(part) for part in form.cleaned_data["member"].split(":"))
        added = submit(
            form,
            lambda: services.add_member(space, actor=request.user, user_id=user_id, party_id=party_id, request=request),
        )
        if added is not None:
            return redirect("sharing:space", space_id=space.pk)
    return render(request, "sharing/member_add.html", {"form": form, "space": space}, status=status_for(form))


@signed_in_view
@require_POST
def member_remove(request: HttpRequest, space_id: int, member_id: int) -> HttpResponse:
    space = access.access_space(request.user, space_id, for_write=True)
    member = get_object_or_404(SpaceMember.objects.current(), pk=member_id, space=space)
    services.remove_member(member, actor=request.user, request=request)
    return redirect("sharing:space", space_id=space.pk)

"""Signing in and out, second factors, passwords, and the user's own security page."""

import base64
from urllib.parse import quote

import segno
from django.conf import settings
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlencode, urlsafe_base64_decode
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from audit.requestinfo import client_ip
from dhr_tracker.accounts import events, lockout, services
from dhr_tracker.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    EnrolForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    SignInForm,
)
from dhr_tracker.accounts.models import BackupCodeDevice, TOTPDevice, User
from dhr_tracker.accounts.rules import SignedInRequest, mark_sudo, password_only, public, sudo_required, verified
from dhr_tracker.accounts.tasks import send_password_email
from dhr_tracker.forms import posted, render_form

LOCKED_MESSAGE = (
    "There have been too many failed attempts to sign in. Try again in {minutes} minutes, "
    "or ask your service administrator to unlock your account."
)
BAD_CREDENTIALS = "Enter a correct e-mail address and password"
BAD_CODE = (
    "The code is not correct or has already been used. Enter the newest code from your app, or an unused backup code"
)


def _next_url(request: HttpRequest) -> str:
    """The page to go to after signing in: only ever a path on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts=None, require_https=False):
        return candidate
    return reverse("home")


def _with_next(view_name: str, next_url: str) -> str:
    return f"{reverse(view_name)}?{urlencode({'next': next_url})}"


def _lock_message(lock: lockout.Lock) -> str:
    minutes = max(1, int((lock.until - timezone.now()).total_seconds() // 60) + 1)
    return LOCKED_MESSAGE.format(minutes=minutes)


@public
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(next_url)
    form = SignInForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        email, ip = form.cleaned_data["email"], client_ip(request)
        lock = lockout.locked(email, ip)
        user = None if lock else authenticate(request, email=email, password=form.cleaned_data["password"])
        if lock:
            events.emit("auth.login_locked", outcome=events.DENIED, request=request, email=email, scope=lock.scope)
            form.add_error(None, _lock_message(lock))
            status = 429
        elif user is None:
            events.emit("auth.login_failed", outcome=events.FAILED, request=request, email=email)
            caused = lockout.register_failure(email, ip)
            if caused:
                events.emit("auth.locked_out", outcome=events.DENIED, request=request, email=email, scope=caused.scope)
                form.add_error(None, _lock_message(caused))
                status = 429
            else:
                form.add_error(None, BAD_CREDENTIALS)
                status = 400
        else:
            # login() rotates the session id, so a session fixed before sign-in is useless.
            auth_login(request, user)
            events.emit("auth.password_accepted", outcome=events.ALLOWED, request=request, actor=user, target=user)
            target = "accounts:verify" if user_has_device(user) else "accounts:enrol"
            return redirect(_with_next(target, next_url))
    elif request.method == "POST":
        status = 400
    notice = None
    if request.GET.get("expired"):
        notice = "You were signed out because you had not done anything for 30 minutes. Sign in again to continue."
    elif request.GET.get("signed_out"):
        notice = "You have been signed out."
    elif request.GET.get("password_changed"):
        notice = "Your password has been changed. Sign in with your new password."
    return render(request, "accounts/sign_in.html", {"form": form, "next": next_url, "notice": notice}, status=status)


def _match_code(user: User, code: str) -> TOTPDevice | BackupCodeDevice | None:
    """Return the device that accepts ``code``, consuming it; row locks stop a double spend."""
    with transaction.atomic():
        for model in (TOTPDevice, BackupCodeDevice):
            for device in model.objects.select_for_update().filter(user=user, confirmed=True):
                if device.verify_token(code):
                    return device
    return None


def _check_code(request: SignedInRequest, form: CodeForm, *, purpose: str) -> TOTPDevice | BackupCodeDevice | None:
    """Check a code against the lock-out; record success or failure. Adds form errors."""
    user = request.user
    ip = client_ip(request)
    lock = lockout.locked(user.email, ip)
    if lock:
        events.emit(
            "auth.code_locked", outcome=events.DENIED, request=request, actor=user, target=user, purpose=purpose
        )
        form.add_error(None, _lock_message(lock))
        return None
    device = _match_code(user, form.cleaned_data["code"])
    if device is None:
        events.emit(
            "auth.code_failed", outcome=events.FAILED, request=request, actor=user, target=user, purpose=purpose
        )
        caused = lockout.register_failure(user.email, ip)
        if caused:
            events.emit(
                "auth.locked_out", outcome=events.DENIED, request=request, actor=user, target=user, scope=caused.scope
            )
            form.add_error(None, _lock_message(caused))
        else:
            form.add_error("code", BAD_CODE)
        return None
    lockout.clear_account(user.email)
    if isinstance(device, BackupCodeDevice):
        events.emit(
            "auth.backup_code_used",
            outcome=events.ALLOWED,
            request=request,
            actor=user,
            target=user,
            remaining=device.remaining(),
        )
    return device


def _locked_out(request: HttpRequest, form: CodeForm) -> HttpResponse:
    """End the session of a user locked out part-way through, and say why."""
    auth_logout(request)
    return render(request, "accounts/locked.html", {"message": form.non_field_errors()[0]}, status=429)


@password_only
def verify(request: SignedInRequest) -> HttpResponse:
    """Second step of signing in: a code from the authenticator app or a backup code."""
    next_url = _next_url(request)
    if request.user.is_verified():
        return redirect(next_url)
    if not user_has_device(request.user):
        return redirect(_with_next("accounts:enrol", next_url))
    form = CodeForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            device = _check_code(request, form, purpose="sign_in")
            if device is not None:
                otp_login(request, device)
                request.session.cycle_key()
                mark_sudo(request)
                events.emit(
                    "auth.login",
                    outcome=events.ALLOWED,
                    request=request,
                    actor=request.user,
                    target=request.user,
                    method=device.name,
                )
                if isinstance(device, BackupCodeDevice):
                    return redirect(_with_next("accounts:backup_code_used", next_url))
                return redirect(next_url)
            if form.non_field_errors():
                return _locked_out(request, form)
    return render(request, "accounts/verify.html", {"form": form, "next": next_url}, status=status)


@verified()
def backup_code_used(request: SignedInRequest) -> HttpResponse:
    device = BackupCodeDevice.objects.filter(user=request.user).first()
    remaining = device.remaining() if device else 0
    return render(request, "accounts/backup_code_used.html", {"remaining": remaining, "next": _next_url(request)})


def _qr_svg(device: TOTPDevice, email: str) -> tuple[str, str]:
    """Return the provisioning QR code as inline SVG and the secret in base32 for typing."""
    secret = base64.b32encode(device.secret()).decode().rstrip("=")
    issuer = settings.SITE_NAME
    uri = f"otpauth://totp/{quote(issuer)}:{quote(email)}?" + urlencode(
        {"secret": secret, "issuer": issuer, "digits": str(device.DIGITS), "period": str(device.STEP)}
    )
    svg = segno.make(uri, error="m").svg_inline(scale=5, svgclass="app-qr", title="QR code for your authenticator app")
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return svg, spaced


@password_only
def enrol(request: SignedInRequest) -> HttpResponse:
    """Set up an authenticator app: forced on first sign-in, before anything else."""
    next_url = _next_url(request)
    user: User = request.user
    if user_has_device(user):
        # Someone holding only the password must never be able to add their own device.
        return redirect(_with_next("accounts:verify", next_url))
    device = services.start_totp_enrolment(actor=user)
    form = EnrolForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            codes = services.confirm_totp_enrolment(
                device, actor=user, token=form.cleaned_data["code"], request=request
            )
            if codes is not None:
                device.refresh_from_db()
                otp_login(request, device)
                request.session.cycle_key()
                mark_sudo(request)
                lockout.clear_account(user.email)
                events.emit(
                    "auth.login", outcome=events.ALLOWED, request=request, actor=user, target=user, method="enrolment"
                )
                return render(
                    request, "accounts/backup_codes.html", {"codes": codes, "next": next_url, "first_time": True}
                )
            form.add_error(
                "code", "The code is not correct. Check the time on your phone is right, then enter the newest code"
            )
    qr_svg, secret = _qr_svg(device, user.email)
    return render(
        request,
        "accounts/enrol.html",
        {"form": form, "qr_svg": qr_svg, "secret": secret, "next": next_url},
        status=status,
    )


@verified()
def sudo(request: SignedInRequest) -> HttpResponse:
    """Ask for a fresh code before a dangerous action."""
    next_url = _next_url(request)
    form = CodeForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and _check_code(request, form, purpose="sudo") is not None:
            mark_sudo(request)
            events.emit("auth.sudo", outcome=events.ALLOWED, request=request, actor=request.user, target=request.user)
            return redirect(next_url)
        if form.non_field_errors():
            return _locked_out(request, form)
    return render(request, "accounts/sudo.html", {"form": form, "next": next_url}, status=status)


@password_only
@require_POST
def sign_out(request: SignedInRequest) -> HttpResponse:
    user = request.user
    events.emit("auth.logout", outcome=events.ALLOWED, request=request, actor=user, target=user)
    auth_logout(request)
    return redirect(f"{reverse('accounts:sign_in')}?signed_out=1")


@public
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. The answer is the same whether or not the account exists."""
    form = PasswordResetRequestForm(posted(request))
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        user = User.objects.filter(email=email, is_active=True).first()
        events.emit(
            "auth.password_reset_requested",
            outcome=events.ALLOWED,
            request=request,
            email=email,
            known=user is not None,
        )
        if user is not None:
            # Robust: with the task queue down the answer is the same (the error is logged), never a 500.
            transaction.on_commit(lambda: send_password_email.delay(user.pk, purpose="reset"), robust=True)
        return render(request, "accounts/password_reset_sent.html", {"email": email})
    return render_form(request, "accounts/password_reset.html", {"form": form})


def _user_for_token(uidb64: str, token: str) -> User | None:
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError, ValidationError):
        return None
    return user if default_token_generator.check_token(user, token) else None


@public
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Choose a new password from an e-mailed link.

    The token stays in the URL rather than moving into the session as Django's own view does:
    session cookies are SameSite=Strict and would not arrive on the link from an e-mail, and
    Referrer-Policy no-referrer keeps the URL from leaking to other sites.
    """
    user = _user_for_token(uidb64, token)
    if user is None:
        events.emit("auth.password_reset_failed", outcome=events.FAILED, request=request)
        return render(request, "accounts/password_reset_invalid.html", status=400)
    form = NewPasswordForm(user, posted(request))
    if request.method == "POST" and form.is_valid():
        services.set_password(
            user, actor=None, password=form.cleaned_data["new_password"], request=request, action="auth.password_reset"
        )
        if request.user.is_authenticated:
            auth_logout(request)
        return redirect(f"{reverse('accounts:sign_in')}?password_changed=1")
    return render_form(request, "accounts/password_reset_confirm.html", {"form": form})


@verified()
def account(request: SignedInRequest) -> HttpResponse:
    """The user's own security page: password, second factors, sessions."""
    backup = BackupCodeDevice.objects.filter(user=request.user).first()
    totp = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    return render(
        request,
        "accounts/account.html",
        {"backup_remaining": backup.remaining() if backup else 0, "totp": totp},
    )


@verified()
def change_password(request: SignedInRequest) -> HttpResponse:
    user: User = request.user
    form = ChangePasswordForm(user, posted(request))
    if request.method == "POST" and form.is_valid():
        services.set_password(
            user,
            actor=user,
            password=form.cleaned_data["new_password"],
            request=request,
            action="auth.password_changed",
        )
        update_session_auth_hash(request, user)
        return render(request, "accounts/password_changed.html")
    return render_form(request, "accounts/change_password.html", {"form": form})


@verified()
@sudo_required
def new_backup_codes(request: SignedInRequest) -> HttpResponse:
    if request.method == "POST":
        codes = services.regenerate_backup_codes(actor=request.user, request=request)
        return render(request, "accounts/backup_codes.html", {"codes": codes, "next": reverse("accounts:account")})
    return render(request, "accounts/new_backup_codes.html")


@verified()
@require_POST
def sign_out_everywhere(request: SignedInRequest) -> HttpResponse:
    services.sign_out_everywhere(actor=request.user, request=request)
    auth_logout(request)
    return redirect(f"{reverse('accounts:sign_in')}?signed_out=1")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form was sent without a valid token: usually an old tab or a blocked cookie."""
    events.emit("security.csrf_failed", outcome=events.DENIED, request=request, reason=reason, path=request.path)
    return render(request, "errors/csrf.html", status=403)

"""Background work for accounts: e-mails that carry a one-time link."""

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from dhr_tracker.accounts.models import User

SUBJECTS = {
    "reset": "Reset your password",
    "invitation": "You have been given an account",
}


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_password_email(user_id: int, *, purpose: str) -> bool:
    """E-mail a link to choose a password; do nothing for an unknown or inactive account.

    The token is made here, in the worker, so it never sits in the message broker.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "link": f"{settings.SITE_URL}{path}",
        "purpose": purpose,
        "site_name": settings.SITE_NAME,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    send_mail(
        subject=f"{settings.SITE_NAME}: {SUBJECTS[purpose]}",
        message=render_to_string("accounts/email/password.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    return True

"""Notifications to people: a short text to a phone (the app's one-time codes). No Qt, no HTTP.

`make_notifier(settings)` gives the configured backend:

- ``SmtpNotifier``: e-mail through the SMTP server `notify_smtp` ("host:port") to `notify_to`, a template with
  ``{phone}`` (the E.164 number without "+", e.g. 821043218765) or ``{national}`` (01043218765): an operator's
  email-to-SMS gateway (``{phone}@sms.example.net``), or one plain address without a placeholder (e.g. an operator's
  mailbox while testing).
- ``LogNotifier`` (the default for a server on loopback, for development): the message goes to the log at INFO,
  the phone masked.
- ``NoNotifier``: a server reachable from other machines with no SMTP configured refuses to send (503), so one-time
  codes never end up in an operator's log.

A send either completes or raises ``NotifyFailed``; nothing is queued or retried here.

The outbox of notifications (core/notifications.py: queued in the database, retried, a final state) sends through
*transports*, one a channel: `make_transports(settings)` gives ``SmtpTransport`` for "email" (to the address) and for
"sms" (the ``notify_to`` template), ``LogTransport`` for a channel with none on a loopback server; the server adds its
HTTP webhook for SMS (sync/server/webhook.py). A transport's ``NotifyFailed`` names the failure, never the recipient
or the text.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

from core.errors import SavePetsError
from core.phone import mask_phone

log = logging.getLogger(__name__)


class NotifyFailed(SavePetsError):
    code = "notify_failed"


class Notifier(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send `text` to the E.164 `phone`; NotifyFailed when it could not be handed over."""


class LogNotifier:
    """Development: the message in the log (nothing leaves the machine)."""

    def send(self, phone: str, text: str) -> None:
        log.info("notification to %s: %s", mask_phone(phone), text)


class SmtpNotifier:
    def __init__(self, server: str, to_template: str, sender: str, timeout: float = 10.0):
        host, _, port = server.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"notify_smtp: give host:port, e.g. smtp.example.net:25 (got {server!r})")
        self.host, self.port = host.strip("[]"), int(port)
        self.to_template, self.sender, self.timeout = to_template, sender, timeout

    def address(self, phone: str) -> str:
        digits = phone.lstrip("+")
        national = "0" + digits[2:] if digits.startswith("82") else digits
        return self.to_template.replace("{phone}", digits).replace("{national}", national)

    def send(self, phone: str, text: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, self.address(phone), "SavePets"
        msg.set_content(text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("notification to %s via %s:%d failed: %s", mask_phone(phone), self.host, self.port, exc)
            raise NotifyFailed("The message could not be sent; try again later.") from None


class NoNotifier:
    """A server that other machines reach, with no notifier configured: codes are never written to a log that
    its operators read (anyone reading it could verify any phone), so nothing can be sent until notify_smtp is
    set."""

    def send(self, phone: str, text: str) -> None:
        log.warning("notification to %s not sent: no notifier configured (set notify_smtp)", mask_phone(phone))
        raise NotifyFailed("This server cannot send messages yet (no notifier configured); ask its operator.")


def make_notifier(settings) -> Notifier:
    """SMTP when configured; else the log, only for a server that listens on this machine alone (development)."""
    from core.settings import loopback_host

    if settings.notify_smtp:
        return SmtpNotifier(settings.notify_smtp, settings.notify_to, settings.notify_from)
    return LogNotifier() if loopback_host(settings.host) else NoNotifier()


# ------------------------------------------------------------------------------------------------ transports
# What the outbox (core/notifications.py) sends through: one Transport a channel ("email", "sms"). A send either hands
# the message over or raises NotifyFailed, whose message becomes the notification's last_error: it names the
# server and the failure, never the recipient or the text.
class Transport(Protocol):
    def send(self, recipient: str, subject: str, body: str, message_id: str, *, language: str = "ko") -> None:
        """Hand over one message; `message_id` (the notification's id) lets a receiver recognise a resend."""


def mask_recipient(recipient: str) -> str:
    """For logs: an address as 'h***@example.org', a phone as '010-****-5678'."""
    if "@" in recipient:
        local, _, domain = recipient.rpartition("@")
        return f"{local[:1]}***@{domain}"
    try:
        return mask_phone(recipient)
    except Exception:  # noqa: BLE001 - not a phone either: show nothing of it
        return "***"


class SmtpTransport:
    """E-mail through an SMTP server: to the address given, or, with `to_template` (an email-to-SMS gateway,
    ``{phone}`` / ``{national}``), to the address the template makes of a phone. STARTTLS and a login when set."""

    def __init__(self, server: str, sender: str, *, to_template: str | None = None, timeout: float = 10.0,
                 starttls: bool = False, user: str | None = None, password: str | None = None):
        host, _, port = server.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"notify_smtp: give host:port, e.g. smtp.example.net:25 (got {server!r})")
        self.host, self.port = host.strip("[]"), int(port)
        self.sender, self.to_template, self.timeout = sender, to_template, timeout
        self.starttls, self.user, self.password = starttls, user, password

    def address(self, recipient: str) -> str:
        if not self.to_template:
            return recipient
        digits = recipient.lstrip("+")
        national = "0" + digits[2:] if digits.startswith("82") else digits
        return self.to_template.replace("{phone}", digits).replace("{national}", national)

    def message(self, recipient: str, subject: str, body: str, message_id: str, language: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, self.address(recipient), subject
        domain = self.sender.rpartition("@")[2] or "savepets.invalid"
        msg["Message-ID"] = f"<{message_id}@{domain}>"  # the same on a resend: a mail system can tell
        msg.set_content(body)
        msg["Content-Language"] = language  # after set_content, which drops every Content-* header
        return msg

    def send(self, recipient: str, subject: str, body: str, message_id: str, *, language: str = "ko") -> None:
        try:
            msg = self.message(recipient, subject, body, message_id, language)
        except ValueError:  # a header that cannot be written (a newline in the address)
            raise NotifyFailed("the recipient's address is not usable for e-mail") from None
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as exc:  # its text may echo the address: only the code
            raise NotifyFailed(f"smtp {self.host}:{self.port} refused: {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused:
            raise NotifyFailed(f"smtp {self.host}:{self.port} refused the recipient") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyFailed(f"smtp {self.host}:{self.port}: {type(exc).__name__}: {str(exc)[:120]}") from None


class LogTransport:
    """Development (a server on loopback only): the message in the log, the recipient masked."""

    def send(self, recipient: str, subject: str, body: str, message_id: str, *, language: str = "ko") -> None:
        log.info("notification %s to %s: %s | %s", message_id, mask_recipient(recipient), subject, body)


def smtp_transport(settings, *, to_template: str | None = None) -> SmtpTransport:
    return SmtpTransport(settings.notify_smtp, settings.notify_from, to_template=to_template,
                         timeout=settings.notify_timeout, starttls=settings.notify_smtp_starttls,
                         user=settings.notify_smtp_user, password=settings.notify_smtp_password)


def make_transports(settings, *, sms: Transport | None = None) -> dict[str, Transport]:
    """The transports a channel has under `settings` (core only: SMTP and the log; the server passes its HTTP webhook
    for SMS as `sms`, sync/server/webhook.py). "email": SMTP to the address. "sms": `sms` if given, else SMTP to the
    notify_to template. A channel with neither, on a server on loopback: the log; elsewhere it is left out, so that
    its messages wait with a clear last_error and are never written to a log."""
    from core.settings import loopback_host

    out: dict[str, Transport] = {}
    if settings.notify_smtp:
        out["email"] = smtp_transport(settings)
        out["sms"] = smtp_transport(settings, to_template=settings.notify_to)
    if sms is not None:
        out["sms"] = sms
    if loopback_host(settings.host):
        logged = LogTransport()
        for channel in ("email", "sms"):
            out.setdefault(channel, logged)
    return out

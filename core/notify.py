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

A send either completes or raises ``NotifyFailed``; nothing is queued or retried here (the outbox of notifications,
with retries and a final state, is a later step: DESIGN.md "Reunite").
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

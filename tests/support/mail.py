"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, for the tests."""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from contextlib import contextmanager
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from .ports import free_port


class _Handler:
    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.mailbox.refusal:
            return self.mailbox.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mailbox._add(envelope.rcpt_tos, message)
        return "250 Message accepted for delivery"


class Mailbox:
    """Start with `.start()`; `.messages_to(address)` and `.wait_for(address)` read the mail."""

    def __init__(self):
        self.port = free_port()
        self.refusal: str | None = None
        self._controller = self._new_controller()
        self._lock = threading.Condition()
        self._messages: list[tuple[list[str], EmailMessage]] = []

    def _new_controller(self) -> Controller:
        return Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> Mailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @contextmanager
    def stopped(self):
        """The mail server is down (connections refused) inside the block, up again after."""
        self.stop()
        try:
            yield self
        finally:
            self._controller = self._new_controller()
            self.start()

    @contextmanager
    def refusing(self, reply: str = "550 5.1.1 No such mailbox here"):
        """Every recipient is refused with `reply` inside the block."""
        self.refusal = reply
        try:
            yield self
        finally:
            self.refusal = None

    def _add(self, recipients: list[str], message: EmailMessage) -> None:
        with self._lock:
            self._messages.append(([r.lower() for r in recipients], message))
            self._lock.notify_all()

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for rcpts, m in self._messages if address.lower() in rcpts]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [m for rcpts, m in self._messages if address.lower() in rcpts]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    return found
                self._lock.wait(left)


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_in(message) -> str:
    return re.search(r"https?://\S+", text_of(message)).group(0)

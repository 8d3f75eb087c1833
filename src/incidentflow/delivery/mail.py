"""The ``email`` handler: a plain-text message over SMTP (the standard library's smtplib).

Recipients: the list the action's ``to`` parameter names in the host's configuration
(``default`` when it names none), plus the address of every person holding a role the
action passes (``{action: notify, role: commander}``) when the host's address book has
them. The ``Message-ID`` is made from the engine's idempotency key, so a message sent
twice (a retry after a lost answer) is the same message to mail clients.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate

from incidentflow.delivery.message import summary
from incidentflow.delivery.policy import RetryPolicy
from incidentflow.delivery.targets import DEFAULT
from incidentflow.engine.action_runner import ActionRequest
from incidentflow.errors import DeliveryError


class Email:
    """Send through the SMTP server at ``host``:``port`` as ``sender``."""

    channel = "email"

    def __init__(
        self,
        host: str,
        sender: str,
        lists: Mapping[str, Sequence[str]],
        *,
        port: int = 25,
        people: Mapping[str, str] | None = None,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        link: str | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        if not host or not sender:
            raise ValueError("an e-mail handler needs an SMTP host and a sender address")
        self._host, self._port = host, port
        self._sender = sender
        self._lists = {name: tuple(addresses) for name, addresses in lists.items()}
        self._people = dict(people or {})
        self._starttls = starttls
        self._login = (username, password) if username else None
        self._link = link
        self._policy = policy or RetryPolicy()

    def recipients(self, request: ActionRequest) -> list[str]:
        """Who receives the message for ``request`` (each once, in order)."""
        name = request.params.get("to")
        if name is not None and name not in self._lists:
            raise DeliveryError(self.channel, f"no recipient list {name!r} configured")
        found = list(self._lists.get(name or DEFAULT, ()))
        for people in request.holders.values():
            found += [self._people[p] for p in sorted(people) if p in self._people]
        return list(dict.fromkeys(found))

    def message(self, request: ActionRequest) -> EmailMessage:
        """The message for ``request``."""
        facts = summary(request, self._link)
        message = EmailMessage()
        message["Subject"] = facts["headline"]
        message["From"] = self._sender
        message["To"] = ", ".join(self.recipients(request))
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{request.idempotency_key or request.action_id}@incidentflow>"
        lines = [
            facts["headline"],
            "",
            *([facts["message"], ""] if facts["message"] else []),
            f"Severity: {facts['severity']}",
            f"State:    {facts['state']}",
            f"Roles:    {facts['roles']}",
        ]
        if facts["link"]:
            lines.append(f"Link:     {facts['link']}")
        message.set_content("\n".join(lines) + "\n")
        return message

    def __call__(self, request: ActionRequest) -> None:
        message = self.message(request)
        if not message["To"]:
            raise DeliveryError(self.channel, "no recipients for this action")
        last = ""
        for tried in range(1, self._policy.tries + 1):
            try:
                self._send(message)
                return
            except smtplib.SMTPResponseException as error:
                last = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
                if not 400 <= error.smtp_code < 500:  # 5xx: the request itself is refused
                    raise DeliveryError(self.channel, f"refused: {last}") from None
            except (smtplib.SMTPException, OSError) as error:  # includes socket timeouts
                last = f"{type(error).__name__}: {error}"
            if tried < self._policy.tries:
                self._policy.wait(tried)
        raise DeliveryError(self.channel, f"gave up after {self._policy.tries} tries: {last}")

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self._host, self._port, timeout=self._policy.timeout) as smtp:
            if self._starttls:
                smtp.starttls()
            if self._login is not None:
                smtp.login(self._login[0], self._login[1] or "")
            refused = smtp.send_message(message)
        if refused:  # some recipients refused, others accepted: not retried (duplicates)
            raise DeliveryError(self.channel, f"refused recipients: {', '.join(sorted(refused))}")

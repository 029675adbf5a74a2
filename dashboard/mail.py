"""Sending mail with the standard library (``smtplib``), for the executive digest.

Settings: ``pipelines.settings.mail_settings`` (``DTP_SMTP_HOST``, ``DTP_SMTP_PORT`` 25,
``DTP_SMTP_SECURITY`` starttls | ssl | none, ``DTP_SMTP_USER`` with
``DTP_SMTP_PASSWORD_FILE``, ``DTP_MAIL_FROM``). ``starttls`` refuses a server that does not
offer STARTTLS (never a silent fall-back to plain text); certificates are checked against the
system's trust store.

:class:`Sender` keeps one connection for a run and sends one message at a time: a message
that fails for a reason that may pass (a dropped connection, a 4xx reply) is retried on a new
connection after a growing pause (``backoff`` × 2ⁿ); a permanent refusal (5xx) is not. Either
way the failure is returned to the caller, who goes on with the other recipients.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage

from pipelines.settings import MailSettings

log = logging.getLogger("dtp.mail")

ATTEMPTS = 4  # the first try and three retries
BACKOFF = 2.0  # seconds before the first retry; doubled each time
TIMEOUT = 30.0  # seconds for connecting and for each reply


@dataclass(frozen=True)
class Outcome:
    ok: bool
    attempts: int
    error: str = ""  # one line for the report when not ok


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {' '.join(text.split())}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {m.decode('utf-8', 'replace') if isinstance(m, bytes) else m}"
                         for code, m in exc.recipients.values())
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _permanent(exc: BaseException) -> bool:
    """A 5xx reply (the server refuses for good): retrying would only be refused again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPServerDisconnected)
    return isinstance(exc, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError)


class Sender:
    """One SMTP session for a digest run (``with Sender(settings) as s: s.send(msg)``)."""

    def __init__(self, ms: MailSettings, attempts: int | None = None,
                 backoff: float | None = None, timeout: float | None = None) -> None:
        self.ms = ms
        self.attempts = max(1, ATTEMPTS if attempts is None else attempts)
        self.backoff = BACKOFF if backoff is None else backoff
        self.timeout = TIMEOUT if timeout is None else timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        ms = self.ms
        context = ssl.create_default_context()
        if ms.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(ms.host, ms.port, timeout=self.timeout,
                                                  context=context)
        else:
            smtp = smtplib.SMTP(ms.host, ms.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if ms.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError(
                        f"{ms.host}:{ms.port} does not offer STARTTLS (DTP_SMTP_SECURITY="
                        "starttls); set ssl or, on a trusted relay, none")
                smtp.starttls(context=context)
                smtp.ehlo()
            if ms.user:
                smtp.login(ms.user, ms.password() or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _reset(self, exc: BaseException) -> None:
        """After a refused transaction the session goes on (RSET); after anything else a
        new connection is made."""
        transaction = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                       smtplib.SMTPDataError)
        if self._smtp is not None and isinstance(exc, transaction):
            try:
                self._smtp.rset()
                return
            except (smtplib.SMTPException, OSError):
                pass
        self.close()

    def send(self, msg: EmailMessage) -> Outcome:
        """Send ``msg`` (its From/To headers are the envelope), retrying what may pass."""
        last: BaseException | None = None
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                time.sleep(self.backoff * 2 ** (attempt - 2))
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                self._smtp.send_message(msg)
                return Outcome(True, attempt)
            except (smtplib.SMTPException, OSError) as exc:  # (TimeoutError is an OSError)
                last = exc
                log.warning("mail to %s, attempt %d: %s", msg["To"], attempt, _reason(exc))
                self._reset(exc)
                if _permanent(exc):
                    break
        assert last is not None
        return Outcome(False, attempt, _reason(last))

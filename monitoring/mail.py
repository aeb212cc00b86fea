"""A plain-text mail through the configured SMTP server: the misprediction alert's and the bad
buzz's local notification path."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from monitoring.config import SmtpSettings


class SmtpMailer:
    """Sends one plain-text mail per alert through the configured SMTP server."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    def send(self, subject: str, body: str) -> None:
        s = self.settings
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, s.sender, ", ".join(s.recipients)
        message.set_content(body)
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.user:
                smtp.login(s.user, s.password.get_secret_value() if s.password else "")
            smtp.send_message(message)

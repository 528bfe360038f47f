"""Satisfaction surveys: the default questionnaire and the one-time tokens residents answer with.

Tokens are derived, not stored, so sheets can be reprinted and the database alone holds none.

A token is the HMAC of the survey's salt and the sheet's serial number under the site's secret key,
written in base32 as three groups of four. The database keeps only its SHA-256 digest and whether it was
used; an answer is stored with no reference to the token (see `services.answer_survey`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from grassroots.core.messages import gettext_noop

LENGTH = 12


def derive(secret: str, salt: str, serial: int) -> str:
    mac = hmac.new(secret.encode(), f"survey:{salt}:{serial}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:LENGTH]


def normalise(text: str) -> str:
    """What a resident typed (any case, spaces, dashes, O for 0) as the token it stands for."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return cleaned.replace("0", "O").replace("1", "I").replace("8", "B")


def digest(token: str) -> str:
    return hashlib.sha256(normalise(token).encode()).hexdigest()


def grouped(token: str) -> str:
    """The token as printed: ABCD-EFGH-IJKL."""
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4))


#: The default questionnaire: (kind, question, English question). Likert items run 1 (very dissatisfied)
#: to 5 (very satisfied).
DEFAULT_TITLE = ("服务对象满意度调查", "Satisfaction survey of residents served")
DEFAULT_QUESTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "likert",
        "您对本项目提供的服务总体是否满意？",
        "Overall, how satisfied are you with the services of this project?",
    ),
    (
        "likert",
        "社工的专业态度与能力让您满意吗？",
        "How satisfied are you with the social workers' attitude and skill?",
    ),
    ("likert", "服务的时间、地点安排是否方便？", "How convenient were the times and places of the services?"),
    ("likert", "服务对您或家人的帮助有多大？", "How much did the services help you or your family?"),
    ("likert", "您愿意继续参与或推荐这项服务吗？", "Would you take part again or recommend the services?"),
    ("text", "您对项目还有什么意见或建议？", "Any other comments or suggestions about the project?"),
)
#: Labels of the five points of the default scale (translated where shown).
LIKERT_LABELS = (
    gettext_noop("Very dissatisfied"),
    gettext_noop("Dissatisfied"),
    gettext_noop("Neutral"),
    gettext_noop("Satisfied"),
    gettext_noop("Very satisfied"),
)

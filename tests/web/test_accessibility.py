"""Accessibility basics on the pages each role uses, on a world built through the services: every field has
a label, every image a text alternative, one h1, the language set, a skip link to the content; the
stylesheet shows the keyboard focus, keeps text at WCAG AA contrast, fits a phone and prints."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from grassroots.evaluation.models import Evaluation
from grassroots.funding.models import Envelope, Program
from grassroots.needs.models import Need
from grassroots.orgs.models import Organization
from grassroots.review.models import Review
from grassroots.settings import PACKAGE_DIR

from .conftest import WebWorld

CSS = (PACKAGE_DIR / "web" / "static" / "web" / "site.css").read_text(encoding="utf-8")
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


# --- reading a page -----------------------------------------------------------------------------


@dataclass
class Field:
    tag: str
    attrs: dict[str, str]
    in_label: bool


@dataclass
class Audit(HTMLParser):
    """What the checks need from a page, read with the standard library's parser."""

    fields: list[Field] = field(default_factory=list)
    label_for: set[str] = field(default_factory=set)
    ids: list[str] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    h1: int = 0
    lang: str = ""
    skip: list[str] = field(default_factory=list)
    labels_open: int = 0

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "img":
            self.images.append(a)
        elif tag == "label":
            self.labels_open += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag == "a" and "skip" in a.get("class", "").split():
            self.skip.append(a.get("href", ""))
        elif tag in ("input", "select", "textarea"):
            self.fields.append(Field(tag, a, self.labels_open > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.labels_open:
            self.labels_open -= 1


def audit(html: str) -> Audit:
    found = Audit()
    found.feed(html)
    found.close()
    return found


def problems(html: str) -> list[str]:
    page = audit(html)
    out = []
    for f in page.fields:
        if f.tag == "input" and f.attrs.get("type", "text") in UNLABELLED_TYPES:
            continue
        named = f.attrs.get("aria-label") or f.attrs.get("aria-labelledby")
        if not (named or f.in_label or (f.attrs.get("id") and f.attrs["id"] in page.label_for)):
            out.append(f"<{f.tag} name={f.attrs.get('name')!r} id={f.attrs.get('id')!r}> has no label")
    out += [f"<img src={i.get('src')!r}> has no alt" for i in page.images if "alt" not in i]
    if page.h1 != 1:
        out.append(f"{page.h1} h1 elements")
    if not page.lang:
        out.append("no lang on <html>")
    if page.skip != ["#main"] or "main" not in page.ids:
        out.append(f"skip links {page.skip}, id=main {'main' in page.ids}")
    missing = page.label_for - set(page.ids)
    if missing:
        out.append(f"labels for missing ids {sorted(missing)}")
    doubled = sorted({i for i in page.ids if page.ids.count(i) > 1})
    if doubled:
        out.append(f"ids used twice {doubled}")
    return out


def test_the_audit_finds_what_it_looks_for() -> None:
    bad = '<html><body><h1>a</h1><h1>b</h1><input name="x"><select id="s"></select><img src="p.png"></body></html>'
    found = problems(bad)
    assert "<input name='x' id=None> has no label" in found and "<select name=None id='s'> has no label" in found
    assert "<img src='p.png'> has no alt" in found and "2 h1 elements" in found and "no lang on <html>" in found
    good = (
        '<html lang="en"><body><a class="skip" href="#main">skip</a><main id="main"><h1>t</h1>'
        '<label for="a">A</label><input id="a"><label>B <input name="b"></label>'
        '<select aria-label="C"></select><input type="hidden" name="h"><img src="p.png" alt=""></main></body></html>'
    )
    assert problems(good) == []


# --- the pages, as the roles who use them see them ----------------------------------------------------


def _first(qs: Any) -> int | None:
    obj = qs.order_by("pk").first()
    return obj.pk if obj is not None else None


ARGS: dict[str, Callable[[WebWorld], int | None]] = {
    "open_call": lambda w: w.pk["open_call"],
    "decided_call": lambda w: w.pk["decided_call"],
    "draft_call": lambda w: w.pk["draft_call"],
    "app_a_awarded": lambda w: w.pk["app_a_awarded"],
    "app_a_draft": lambda w: w.pk["app_a_draft"],
    "contract": lambda w: w.pk["contract"],
    "evaluation": lambda w: _first(Evaluation.objects.all()),
    "program": lambda w: _first(Program.objects.all()),
    "envelope": lambda w: _first(Envelope.objects.all()),
    "review": lambda w: _first(Review.objects.all()),
    "need": lambda w: _first(Need.objects.all()),
    "c1": lambda w: Organization.objects.get(name=w.text["c1"]).pk,
    "street_org": lambda w: Organization.objects.get(name=w.text["street"]).pk,
}

# (role, URL name, the object it is about): the home page and lists of every role, the detail pages, and
# the forms of the other stages where they exist (a page not in the site yet is skipped, saying so).
PAGES: list[tuple[str, str, str | None]] = [
    *[
        (who, "home", None)
        for who in ("dept", "street", "cw1", "mgr_a", "sw_a", "expert", "evaluator", "resident", "nobody", "staff")
    ],
    ("dept", "call-list", None),
    ("dept", "contract-list", None),
    ("dept", "payment-list", None),
    ("dept", "evaluation-list", None),
    ("street", "application-list", None),
    ("mgr_a", "record-list", None),
    ("mgr_a", "expenditure-list", None),
    ("evaluator", "evaluation-list", None),
    ("street", "call-detail", "open_call"),
    ("mgr_a", "call-detail", "open_call"),
    ("street", "call-detail", "decided_call"),
    ("street", "application-detail", "app_a_awarded"),
    ("mgr_a", "application-detail", "app_a_draft"),
    ("mgr_a", "contract-detail", "contract"),
    ("street", "contract-detail", "contract"),
    ("street", "evaluation-detail", "evaluation"),
    ("evaluator", "evaluation-detail", "evaluation"),
    ("street", "org-profile", "street_org"),
    ("resident", "community-needs", "c1"),
    ("resident", "need-raise", "c1"),
    ("cw1", "meeting-plan", "c1"),
    ("cw1", "need-detail", "need"),
    ("dept", "program-indicators", "program"),
    # other stages' pages
    ("dept", "program-list", None),
    ("dept", "program-create", None),
    ("dept", "program-detail", "program"),
    ("street", "envelope-detail", "envelope"),
    ("street", "envelope-call-create", "envelope"),
    ("mgr_a", "application-create", "open_call"),
    ("mgr_a", "application-edit", "app_a_draft"),
    ("street", "call-review", "decided_call"),
    ("street", "call-awards", "decided_call"),
    ("expert", "my-reviews", None),
    ("expert", "review-list", None),
    ("expert", "review-detail", "review"),
    ("mgr_a", "record-create", "contract"),
    ("mgr_a", "expenditure-create", "contract"),
    ("sw_a", "records-mine", None),
    ("street", "governance-index", None),
    ("street", "governance-dashboard", "street_org"),
    ("street", "org-profile", "c1"),
]

MINE = {"home", *(n for n in ("call-list", "application-list", "contract-list", "payment-list"))}
MINE |= {"record-list", "expenditure-list", "evaluation-list", "governance-index", "governance-dashboard"}


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "name", "about"), PAGES, ids=[f"{w}-{n}-{a or ''}" for w, n, a in PAGES])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_page_basics(web: WebWorld, who: str, name: str, about: str | None, language: str) -> None:
    args = [] if about is None else [ARGS[about](web)]
    if None in args:
        pytest.skip(f"no {about} in the world")
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        assert name not in MINE
        pytest.skip(f"{name} is not in the site (yet)")
    response = web.client_for(who).get(url, HTTP_ACCEPT_LANGUAGE=language)
    if name not in MINE and response.status_code != 200:
        pytest.skip(f"{name} answers {response.status_code} to {who}")
    assert response.status_code == 200
    html = response.content.decode()
    assert problems(html) == [], url
    assert f'lang="{language}"' in html


@pytest.mark.django_db
def test_the_login_page_has_labels(web: WebWorld) -> None:
    assert problems(Client().get(reverse("login")).content.decode()) == []


# --- the stylesheet -----------------------------------------------------------------------------------


def hex_colour(text: str, variables: dict[str, str]) -> str | None:
    text = text.strip()
    var = re.fullmatch(r"var\((--[\w-]+)\)", text)
    if var:
        text = variables.get(var.group(1), "")
    if re.fullmatch(r"#[0-9a-fA-F]{6}", text):
        return text.lower()
    if re.fullmatch(r"#[0-9a-fA-F]{3}", text):
        return "#" + "".join(c * 2 for c in text[1:]).lower()
    return None


def luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def over(colour: str, background: str, alpha: float) -> str:
    """`colour` at `alpha` over an opaque background (how an rgba() wash looks)."""
    mixed = [
        round(int(colour[i : i + 2], 16) * alpha + int(background[i : i + 2], 16) * (1 - alpha)) for i in (1, 3, 5)
    ]
    return "#" + "".join(f"{c:02x}" for c in mixed)


VARIABLES = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", CSS.split("}", 1)[0]))


def rules() -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every rule, media queries flattened."""
    out = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)):
        declarations = {}
        for part in body.split(";"):
            if ":" in part:
                key, value = part.split(":", 1)
                declarations[key.strip()] = value.replace("!important", "").strip()
        out.append((selector.strip(), declarations))
    return out


def test_text_colours_meet_wcag_aa() -> None:
    v = {k: hex_colour(c, VARIABLES) or "" for k, c in VARIABLES.items()}
    header_nav = over("#000000", v["--brand"], 0.12)
    role_pill = over("#ffffff", v["--brand"], 0.18)
    pairs = {
        "text": (v["--ink"], v["--paper"]),
        "text on the page's wash": (v["--ink"], v["--wash"]),
        "muted text": (v["--muted"], v["--paper"]),
        "muted text on the wash": (v["--muted"], v["--wash"]),
        "links": (v["--link"], v["--paper"]),
        "links on a hovered row": (v["--link"], v["--wash"]),
        "the header": (v["--brand-ink"], v["--brand"]),
        "the main navigation": (v["--brand-ink"], header_nav),
        "role pills in the header": (v["--brand-ink"], role_pill),
        "the current language button": (v["--brand"], v["--brand-ink"]),
        "primary buttons": (v["--brand-ink"], v["--brand"]),
        "errors": (v["--bad"], v["--paper"]),
        "warnings": (v["--warn"], v["--paper"]),
        "good news": (v["--ok"], v["--paper"]),
    }
    # every rule that sets both a text colour and an opaque background (badges, messages, the current page)
    for selector, d in rules():
        fg = hex_colour(d.get("color", ""), VARIABLES)
        bg = hex_colour(d.get("background", d.get("background-color", "")), VARIABLES)
        if fg and bg:
            pairs[selector] = (fg, bg)
        elif fg and selector.startswith((".alert-", ".overdue")):
            pairs[selector] = (fg, v["--paper"])
    assert len(pairs) > 20
    low = {name: round(contrast(a, b), 2) for name, (a, b) in pairs.items() if contrast(a, b) < 4.5}
    assert low == {}, "text below WCAG AA (4.5:1)"


def test_contrast_arithmetic() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert over("#000000", "#ffffff", 0.5) == "#808080"


def test_keyboard_focus_is_visible() -> None:
    focus = [(s, d) for s, d in rules() if ":focus-visible" in s]
    assert any(s == ":focus-visible" and d.get("outline", "").startswith("3px solid") for s, d in focus)
    assert any(s.startswith(".site-header") for s, _d in focus)  # white on the red header
    assert not any(d.get("outline") in ("none", "0") for s, d in rules() if ":focus" in s)
    focus_colour = hex_colour("var(--focus)", VARIABLES) or ""
    assert contrast(focus_colour, VARIABLES["--paper"]) >= 3  # a visible ring (non-text contrast)
    assert ".skip:focus" in CSS


def test_phone_and_print_rules() -> None:
    assert ".table-wrap { overflow-x: auto;" in CSS  # tables scroll inside their wrapper, not the page
    assert re.search(r"\.main-nav ul \{[^}]*flex-wrap: wrap", CSS)  # the navigation wraps
    phone = CSS.split("@media (max-width: 40rem)")
    assert len(phone) >= 2
    prints = re.findall(r"@media print \{(.*?)\n\}", CSS, flags=re.S)
    assert prints and any(".site-header" in p for p in prints)
    assert any(".filters" in p and ".pagination" in p for p in prints)
    assert any("table-header-group" in p for p in prints)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in (
        PACKAGE_DIR / "web" / "templates" / "web" / "base.html"
    ).read_text(encoding="utf-8")

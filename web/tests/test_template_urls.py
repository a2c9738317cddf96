"""Every href and src a template builds from a variable goes through the safe_url filter.

A stored URL is checked once on the way in (reader.canonical.http_url_or_none) and again on the way
out (the ``safe_url`` filter): this test reads every template of every Tidings app and fails on a URL
attribute whose value may start with a variable that skips the filter. A variable after a literal
("/a/{{ x }}", "{{ url|safe_url }}?next={{ path }}") cannot choose the scheme and is allowed, as is
``get_absolute_url`` (a route reverse() built on this site) and the {% url %}, {% static %} and
{% querystring %} tags.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.template.utils import get_app_template_dirs

from web.templatetags.tidings import safe_url

URL_ATTRIBUTES = ("href", "src", "action", "formaction", "srcset", "poster", "data", "cite", "background", "ping")
_ATTRIBUTE = re.compile(
    r"""(?<![\w-])({})\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""".format("|".join(URL_ATTRIBUTES)),
    re.IGNORECASE,
)
_VARIABLE = re.compile(r"{{\s*(.*?)\s*}}")
_TAG = re.compile(r"{%.*?%}")


def _project_templates() -> list[Path]:
    base = Path(settings.BASE_DIR).resolve()
    dirs = [Path(d).resolve() for d in get_app_template_dirs("templates")]
    dirs += [Path(d).resolve() for d in engines["django"].dirs]
    ours = [d for d in dirs if d.is_relative_to(base) and ".venv" not in d.parts]
    return sorted(p for d in ours for p in d.rglob("*.html"))


def unfiltered_urls(source: str) -> list[str]:
    """Every URL attribute in a template whose value may begin with an unchecked variable."""
    # Template syntax first becomes placeholders, so quotes inside {{ }} or {% %} cannot end an attribute.
    variables: list[str] = []

    def hold(match: re.Match) -> str:
        variables.append(match.group(1).replace(" ", ""))
        return f"\x00{len(variables) - 1}\x00"

    text = _TAG.sub("", _VARIABLE.sub(hold, source))
    found = []
    for match in _ATTRIBUTE.finditer(text):
        value = next(group for group in match.groups()[1:] if group is not None)
        first = re.match(r"\x00(\d+)\x00", value)
        if first is None:
            continue  # a literal (or nothing) comes first: no variable can choose the scheme
        expression = variables[int(first.group(1))]
        if not (expression.endswith("|safe_url") or expression.endswith(".get_absolute_url")):
            found.append(f"{match.group(1)}={{{{ {expression} }}}}")
    return found


def test_the_scan_finds_the_templates_of_every_app():
    apps = {p.relative_to(Path(settings.BASE_DIR).resolve()).parts[0] for p in _project_templates()}
    assert {"web", "comments", "readers", "search", "accounts"} <= apps


def test_no_template_puts_an_unchecked_variable_in_a_url_attribute():
    offenders = {}
    for path in _project_templates():
        found = unfiltered_urls(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(settings.BASE_DIR))] = found
    assert offenders == {}


@pytest.mark.parametrize(
    ("snippet", "flagged"),
    [
        ('<a href="{{ article.url }}">', True),
        ("<img src='{{ article.image_url }}'>", True),
        ('<a href="{% if x %}{{ article.url }}{% endif %}">', True),
        ('<a href="{{ article.url|default:"" }}">', True),
        ('<form action="{{ next }}">', True),
        ("<a href={{ article.url }}>", True),
        ('<a data-href="{{ article.url }}">', False),
        ('<a href="{{ article.url|safe_url }}">', False),
        ('<a href="{{ article.url | safe_url }}">', False),
        ('<a href="{{ story.get_absolute_url }}">', False),
        ('<a href="{% url "home" %}">', False),
        ('<a href="/search/?q={{ query|urlencode }}">', False),
        ('<a href="{{ signin_url|safe_url }}?next={{ request.get_full_path|urlencode }}">', False),
        ('<p title="{{ article.url }}">', False),
    ],
)
def test_the_scan_itself(snippet, flagged):
    assert bool(unfiltered_urls(snippet)) is flagged


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("HTTP://Example.org/", "http://Example.org/"),
        ("/articles/7/#comments", "/articles/7/#comments"),
        ("javascript:alert(document.domain)", ""),
        ("JaVaScRiPt:alert(1)", ""),
        ("java\tscript:alert(1)", ""),
        ("\x01 javascript:alert(1)", ""),
        ("&#106;avascript:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("vbscript:msgbox(1)", ""),
        ("//evil.example/", ""),
        ("/\\evil.example/", ""),
        ("relative/path", ""),
        (None, ""),
        (7, ""),
    ],
)
def test_safe_url_filter(value, shown):
    assert safe_url(value) == shown

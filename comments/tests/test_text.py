"""The pure text functions: cleaning, link stuffing, and rendering. No database."""

import pytest

from comments.templatetags.commenting import comment_html
from comments.text import clean_body, duplicate_key, link_stuffing_reason


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("  hello  ", "hello"),
        ("pay\u200bpal", "paypal"),
        ("a\u200c\u200d\u200e\u200fb", "ab"),
        ("\u202eevil\u202c and \u2066isolate\u2069", "evil and isolate"),
        ("cafe\u0301", "caf\u00e9"),  # NFC
        ("one\r\n\r\n\r\n\r\n\r\ntwo", "one\n\n\ntwo"),
        ("one\n\n\ntwo", "one\n\n\ntwo"),
        ("one\n \n\t\n\n\ntwo", "one\n\n\ntwo"),
        ("\u200b\u200b", ""),
    ],
    ids=[
        "trim",
        "zero-width-space",
        "zero-width-joiners-and-marks",
        "bidi-override-and-isolates",
        "nfc",
        "five-blank-lines-to-two",
        "two-blank-lines-kept",
        "whitespace-only-lines",
        "only-invisible",
    ],
)
def test_clean_body(raw, cleaned):
    assert clean_body(raw) == cleaned


def test_duplicate_key_ignores_case_and_spacing():
    assert duplicate_key("Great  ARTICLE\n thanks") == duplicate_key("great article thanks")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Worth reading alongside https://example.org/report which has the figures.", ""),
        (
            "The council minutes (https://a.example/1), the budget (https://a.example/2) and the engineers' "
            "report (https://a.example/3) all disagree about when the cables were last inspected.",
            "",
        ),
        ("see https://a.example/1 https://a.example/2 https://a.example/3 www.a.example/4", "4 links in one comment"),
        ("https://cheap-pills.example/buy-now-and-save ok", "mostly links"),
    ],
    ids=["one-link-in-prose", "three-links", "four-links", "mostly-a-link"],
)
def test_link_stuffing_reason(body, reason):
    assert link_stuffing_reason(body) == reason


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<a href="javascript:x">hi</a>', "&lt;a href=&quot;javascript:x&quot;&gt;hi&lt;/a&gt;"),
        ("**bold** _it_", "**bold** _it_"),
        (
            "see https://example.org/a?b=1&c=2 now",
            'see <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
            "https://example.org/a?b=1&amp;c=2</a> now",
        ),
        ('typed rel="nofollow" myself', "typed rel=&quot;nofollow&quot; myself"),
    ],
    ids=["script-tag", "html-link", "markdown-not-rendered", "link-made-clickable", "typed-rel-stays-text"],
)
def test_comment_html_escapes_everything_and_links_addresses(body, html):
    assert comment_html(body) == html

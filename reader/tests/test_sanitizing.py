"""reader.sanitizing.clean_html: hostile input, link and image rewriting, tracker removal."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.sanitizing import clean_html, problems_recorded

BASE = "https://news.example/world/story.html"
REL = 'rel="noopener noreferrer nofollow"'

HOSTILE_CASES = {
    "script removed with its content": ("<p>a</p><script>alert(1)</script><p>b</p>", "<p>a</p><p>b</p>"),
    "uppercase script tag": ("<SCRIPT SRC=//evil.example/x.js></SCRIPT><P>ok</P>", "<p>ok</p>"),
    "img onerror": (
        "<img src=x onerror=alert(1)>",
        '<img src="https://news.example/world/x" alt="">',
    ),
    "onclick attribute": ('<p onclick="alert(1)">tap</p>', "<p>tap</p>"),
    "javascript: href": ('<a href="javascript:alert(1)">x</a>', "x"),
    "javascript: href after spaces": ('<a href="  javascript:alert(1)">x</a>', "x"),
    "javascript: href in mixed case": ('<a href="JaVaScRiPt:alert(1)">x</a>', "x"),
    "entity-encoded javascript: href": (
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
        "x",
    ),
    "javascript: split by an encoded tab": ('<a href="jav&#x09;ascript:alert(1)">x</a>', "x"),
    "vbscript: href": ('<a href="vbscript:msgbox(1)">x</a>', "x"),
    "data: href": ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', "x"),
    "data: image": ('<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" alt="d">', ""),
    "svg onload removed with content": ('<svg onload="alert(1)"><circle r="5"/></svg><p>after</p>', "<p>after</p>"),
    "style attribute": ('<p style="background:url(javascript:alert(1))">s</p>', "<p>s</p>"),
    "css expression in a style tag": ("<style>p{width:expression(alert(1))}</style><p>t</p>", "<p>t</p>"),
    "iframe": ('<iframe src="https://evil.example/">inside</iframe><p>t</p>', "<p>t</p>"),
    "object and embed": ('<object data="x.swf"><embed src="x.swf"></object><p>t</p>', "<p>t</p>"),
    "form, input, button": (
        '<form action="/steal"><input name="p"><button>Go</button></form><p>t</p>',
        "<p>t</p>",
    ),
    "noscript and template": (
        "<noscript><img src=x></noscript><template><p>hidden</p></template><p>t</p>",
        "<p>t</p>",
    ),
    "nested unclosed tags": ("<p><b>bold <i>both</p><p>next", "<p><b>bold <i>both</i></b></p><p>next</p>"),
    "comments and conditional comments": (
        "<p>a<!-- secret --></p><!--[if IE]><script>alert(1)</script><![endif]-->",
        "<p>a</p>",
    ),
    "CDATA is a bogus comment, as in browsers": (
        "<p><![CDATA[<script>alert(1)</script>]]>x</p>",
        "<p>alert(1)]]&gt;x</p>",
    ),
    "meta refresh and stylesheet links": (
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><link rel=stylesheet href=x.css><p>t</p>',
        "<p>t</p>",
    ),
    "base tag cannot redirect links": (
        '<base href="https://evil.example/"><a href="/a">a</a>',
        f'<a href="https://news.example/a" {REL}>a</a>',
    ),
    "broken attribute quoting": (
        '<img src="a.png" alt="x" title="a"b" onerror="alert(1)">',
        '<img src="https://news.example/world/a.png" alt="x">',
    ),
    "lang, title, class and id on any tag": ('<p lang="en" title="t" class="c" id="i">x</p>', "<p>x</p>"),
    "target dropped, rel forced": (
        '<a href="https://other.example/" target="_blank" rel="opener">o</a>',
        f'<a href="https://other.example/" {REL}>o</a>',
    ),
    "text is escaped": ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
    "NUL bytes": ("<p>a\x00b</p>", "<p>a\ufffdb</p>"),
}


@pytest.mark.parametrize(("html", "expected"), HOSTILE_CASES.values(), ids=HOSTILE_CASES.keys())
def test_hostile_input(html, expected):
    assert clean_html(html, base_url=BASE) == expected


STRUCTURE_CASES = {
    "h1 demoted to h2": ("<h1>Title</h1><h3>Sub</h3>", "<h2>Title</h2><h3>Sub</h3>"),
    "div and span unwrapped": ('<div class="x"><span id="y">text</span></div>', "text"),
    "empty paragraphs collapsed": ("<p></p><p> </p><p>&nbsp;</p><p><br></p><p>kept</p>", "<p>kept</p>"),
    "table keeps colspan and rowspan only": (
        '<table><tr><th colspan="2" style="x">H</th></tr><tr><td rowspan="3" onclick="x">1</td></tr></table>',
        '<table><tbody><tr><th colspan="2">H</th></tr><tr><td rowspan="3">1</td></tr></tbody></table>',
    ),
    "time and abbr keep their attributes": (
        '<time datetime="2024-01-01" class="c">Jan 1</time> <abbr title="World Health Organization">WHO</abbr>',
        '<time datetime="2024-01-01">Jan 1</time> <abbr title="World Health Organization">WHO</abbr>',
    ),
    "figure with caption": (
        '<figure><img src="p.jpg" alt="A"><figcaption>Cap <cite>AP</cite></figcaption></figure>',
        '<figure><img src="https://news.example/world/p.jpg" alt="A"><figcaption>Cap <cite>AP</cite>'
        "</figcaption></figure>",
    ),
    "the rest of the allowlist": (
        "<blockquote><q>q</q> <mark>m</mark> <small>s</small> <sub>1</sub><sup>2</sup> <code>c</code>"
        "</blockquote><pre>p</pre><hr><ul><li>l</li></ul><ol><li>o</li></ol><h6>h</h6><u>u</u><s>s</s>"
        "<strong>st</strong><em>e</em><b>b</b><i>i</i>",
        "<blockquote><q>q</q> <mark>m</mark> <small>s</small> <sub>1</sub><sup>2</sup> <code>c</code>"
        "</blockquote><pre>p</pre><hr><ul><li>l</li></ul><ol><li>o</li></ol><h6>h</h6><u>u</u><s>s</s>"
        "<strong>st</strong><em>e</em><b>b</b><i>i</i>",
    ),
    "empty input": ("", ""),
    "whitespace input": ("  \n ", ""),
}


@pytest.mark.parametrize(("html", "expected"), STRUCTURE_CASES.values(), ids=STRUCTURE_CASES.keys())
def test_structure(html, expected):
    assert clean_html(html, base_url=BASE) == expected


LINK_CASES = {
    "root-relative link": ('<a href="/a">a</a>', f'<a href="https://news.example/a" {REL}>a</a>'),
    "document-relative link": (
        '<a href="next.html">n</a>',
        f'<a href="https://news.example/world/next.html" {REL}>n</a>',
    ),
    "parent-relative image": ('<img src="../img/p.jpg">', '<img src="https://news.example/img/p.jpg" alt="">'),
    "protocol-relative image": (
        '<img src="//cdn.example/p.jpg" alt="">',
        '<img src="https://cdn.example/p.jpg" alt="">',
    ),
    "query-only link": (
        '<a href="?page=2">n</a>',
        f'<a href="https://news.example/world/story.html?page=2" {REL}>n</a>',
    ),
    "mailto kept": (
        '<a href="mailto:desk@news.example?subject=Tip">m</a>',
        f'<a href="mailto:desk@news.example?subject=Tip" {REL}>m</a>',
    ),
    "link title kept": ('<a href="/a" title="T">a</a>', f'<a href="https://news.example/a" title="T" {REL}>a</a>'),
    "link without href unwrapped": ('<a name="x">n</a>', "n"),
    "utm stripped, other params and fragment kept": (
        '<a href="https://shop.example/p?utm_source=news&utm_medium=rss&id=5#buy">buy</a>',
        f'<a href="https://shop.example/p?id=5#buy" {REL}>buy</a>',
    ),
    "fbclid stripped from a relative link": (
        '<a href="/x?fbclid=1">f</a>',
        f'<a href="https://news.example/x" {REL}>f</a>',
    ),
    "image dimensions and alt kept": (
        '<img src="photo.jpg" width="640" height="480" alt="Harbour">',
        '<img src="https://news.example/world/photo.jpg" width="640" height="480" alt="Harbour">',
    ),
    "lazy image uses data-src": (
        '<img data-src="/real.jpg" src="data:image/gif;base64,R0lGOD" alt="lazy">',
        '<img src="https://news.example/real.jpg" alt="lazy">',
    ),
    "image without any source dropped": ('<img alt="no source">', ""),
}


@pytest.mark.parametrize(("html", "expected"), LINK_CASES.values(), ids=LINK_CASES.keys())
def test_links_and_images_become_absolute(html, expected):
    assert clean_html(html, base_url=BASE) == expected


TRACKER_CASES = {
    "feedburner 1x1 pixel": (
        '<p>x<img src="https://feeds.feedburner.com/~r/Example/~4/abc" height="1" width="1" alt=""/></p>',
        "<p>x</p>",
    ),
    "pixel.wp.com": ('<img src="https://pixel.wp.com/b.gif?v=1" alt=":)">', ""),
    "stats.wordpress.com": ('<img src="https://stats.wordpress.com/b.gif">', ""),
    "doubleclick subdomain": ('<img src="https://ad.doubleclick.net/ddm/x">', ""),
    "google analytics": ('<img src="https://www.google-analytics.com/collect?v=1">', ""),
    "1px wide image on any host": ('<img src="https://cdn.example/a.jpg" width="1px" height="300">', ""),
    "0x0 image": ('<img src="https://cdn.example/a.jpg" width="0" height="0">', ""),
    "tail text of a removed pixel kept": (
        '<p>before<img src="https://pixel.wp.com/g.gif">after</p>',
        "<p>beforeafter</p>",
    ),
    "a wp.com image CDN is not a tracker": (
        '<img src="https://i0.wp.com/site/a.jpg" alt="">',
        '<img src="https://i0.wp.com/site/a.jpg" alt="">',
    ),
}


@pytest.mark.parametrize(("html", "expected"), TRACKER_CASES.values(), ids=TRACKER_CASES.keys())
def test_tracking_pixels_removed(html, expected):
    assert clean_html(html, base_url=BASE) == expected


def test_one_megabyte_of_paragraphs():
    html = '<p>Lorem ipsum <a href="/x?utm_source=a">dolor</a> sit amet.</p>' * 16_000
    out = clean_html(html, base_url=BASE)
    assert out == f'<p>Lorem ipsum <a href="https://news.example/x" {REL}>dolor</a> sit amet.</p>' * 16_000


def test_one_megabyte_of_tag_soup_stays_inert():
    out = clean_html("<scr<script>ipt>alert(1)</script>" * 30_000, base_url=BASE)
    assert "<" not in out.replace("&lt;", "")
    assert set(out.split("ipt&gt;alert(1)")) == {""}


def test_deep_nesting_keeps_the_text():
    assert clean_html("<div>" * 1000 + "x" + "</div>" * 1000, base_url=BASE) == "x"


def test_without_a_base_url_relative_links_stay_relative():
    assert clean_html('<a href="/a">a</a>', base_url="") == f'<a href="/a" {REL}>a</a>'


# --- never raises (issue 10, item 3): the literal cases, and what each fall-back reports ---------

NEVER_RAISES_CASES = {
    "a whole document": (
        "<html>", "", "its HTML was a whole web page rather than a fragment, and was cleaned as it came",
    ),
    "control character in a link": (
        '<p>See <a href="https://example.org/a&#14;b">this</a>.</p>', "<p>See this.</p>",
        "1 link or image address held control characters and was removed",
    ),
    "control character as an image source": (
        '<p>x<img src="&#14;">y</p>', "<p>xy</p>", "1 link or image address held control characters and was removed",
    ),
    "control character in a lazy image source": (
        '<img src="data:x" data-src="https://e.example/a&#1;.png">', "", "",
    ),
    "raw control character in a link": (
        '<a href="https://e.example/\x0e">x</a>', "x",
        "1 link or image address held control characters and was removed",
    ),
    "lone surrogate": ("<p>a\ud800b</p>", "<p>a</p>", ""),
    "NUL bytes": ("<p>a\x00b</p>", "<p>a\ufffdb</p>", ""),
    "U+FFFE in a link": ('<a href="https://e.example/\ufffe">x</a>', "x",
                         "1 link or image address held control characters and was removed"),
}  # fmt: skip


@pytest.mark.parametrize(("html", "expected", "problem"), NEVER_RAISES_CASES.values(), ids=NEVER_RAISES_CASES.keys())
def test_never_raises_and_says_what_it_did_instead(html, expected, problem):
    with problems_recorded() as problems:
        assert clean_html(html, base_url=BASE) == expected
    assert [(p.base_url, p.message) for p in problems] == ([(BASE, problem)] if problem else [])


def test_a_lone_surrogate_nh3_cannot_take_becomes_a_replacement_character():
    """It reaches nh3 only when the structural pass failed (lxml drops it otherwise)."""
    with problems_recorded() as problems:
        assert clean_html("<html>\ud800<b>", base_url=BASE) == "\ufffd<b></b>"
    assert [p.message for p in problems] == [
        "its HTML was a whole web page rather than a fragment, and was cleaned as it came"
    ]


def test_problems_are_collected_only_inside_the_block():
    clean_html("<html>", base_url=BASE)  # outside any block: nothing to collect into, nothing raised
    with problems_recorded() as problems:
        clean_html('<a href="a&#14;">x</a>', base_url="https://a.example/")
        clean_html("<p>fine</p>", base_url="https://b.example/")
    assert [p.base_url for p in problems] == ["https://a.example/"]


@pytest.mark.parametrize(
    "line",
    [
        line
        for line in (Path(__file__).parent / "fixtures" / "hostile" / "payloadsallthethings-xxe-fuzzing.txt")
        .read_text(encoding="utf-8")
        .splitlines()
        if line
    ],
)
def test_public_xxe_payloads_as_html_stay_inert(line):
    """PayloadsAllTheThings' XXE fuzzing list (fixtures/hostile/README.md) as item HTML."""
    cleaned = clean_html(line, base_url=BASE)
    assert "<script" not in cleaned.lower() and "<xsl" not in cleaned.lower() and "<xml" not in cleaned.lower()

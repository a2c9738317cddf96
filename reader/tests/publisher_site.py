"""A small fake publisher for pipeline and page tests: an RSS feed and real-looking article
pages (navigation, cookie banner, "Most read", newsletter box, footer) served by LocalServer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

from reader.tests.local_server import LocalServer

TEMPLATE_TOP = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | {site}</title><link rel="canonical" href="{url}">
<meta property="og:image" content="{base}/img/{slug}.jpg"><meta name="author" content="{author}">
</head><body>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/business">Business</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<div class="ad">Advertisement</div>
<main><article><h1>{title}</h1><p class="byline">By {author}</p>
"""
TEMPLATE_BOTTOM = """</article>
<aside><h3>Most read</h3><ol><li><a href="/a">Markets rally as rates hold steady for the third month</a></li>
<li><a href="/b">Ten things to do in the city this weekend, whatever the weather</a></li>
<li><a href="/c">Opinion: the council must listen to residents about the new bridge</a></li></ol></aside>
<div class="newsletter">Sign up for our morning newsletter and get the day's top stories in your inbox.</div>
<div class="donate">Support independent journalism: make a contribution today.</div>
</main><footer><p>© 2026 {site}. All rights reserved.</p><p>Privacy policy · Terms of use · Contact us</p></footer>
</body></html>"""


@dataclass(frozen=True)
class FakeArticle:
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    published: datetime
    author: str = "Jane Reporter"


def sample_articles(now: datetime | None = None) -> list[FakeArticle]:
    now = now or datetime.now(UTC)
    return [
        FakeArticle(
            "harbour-bridge",
            "Harbour bridge reopens after two-year repair",
            (
                "The harbour bridge reopened to traffic on Monday after a two-year repair that cost 140 million "
                "dollars, the city's transport department said.",
                "Engineers replaced all 212 steel cables and resurfaced the deck, which had been closed to lorries "
                "since a crack was found in the northern pylon in 2024.",
                "Commuters who had faced a 40-minute detour welcomed the reopening, although cyclists said the new "
                "lanes were narrower than promised.",
            ),
            now - timedelta(hours=17),
        ),
        FakeArticle(
            "river-festival",
            "River festival draws record crowds despite rain",
            (
                "More than 80,000 people attended the river festival over the weekend, organisers said, a record "
                "for the event now in its 31st year.",
                "Heavy rain on Saturday afternoon forced the dragon-boat final to be postponed until Sunday morning, "
                "when the team from the fire brigade won by half a length.",
                "Local traders reported their busiest weekend since the festival moved to the east bank in 2019.",
            ),
            now - timedelta(hours=30),
        ),
        FakeArticle(
            "school-meals",
            "Council approves free school meals for all primary pupils",
            (
                "Every primary school pupil in the district will receive a free hot lunch from January, after the "
                "council voted 34 to 12 in favour of the scheme on Thursday.",
                "The programme will cost about 9 million a year and be paid for from a new levy on commercial "
                "parking spaces, the council's finance chair said.",
                "Head teachers said the change would help families struggling with rising food prices.",
            ),
            now - timedelta(days=9),
        ),
    ]


def article_page(base: str, site: str, article: FakeArticle, *, script: str = "") -> str:
    url = f"{base}/news/{article.slug}.html"
    top = TEMPLATE_TOP.format(
        title=escape(article.title), site=site, url=url, base=base, slug=article.slug, author=article.author
    )
    body = "".join(f"<p>{escape(p)}</p>" for p in article.paragraphs) + script
    return top + body + TEMPLATE_BOTTOM.format(site=site)


def rss_feed(base: str, site: str, articles: list[FakeArticle], *, title_override: dict | None = None) -> str:
    items = []
    for a in articles:
        title = (title_override or {}).get(a.slug, a.title)
        items.append(
            f"<item><title>{escape(title)}</title><link>{base}/news/{a.slug}.html?utm_source=rss</link>"
            f'<guid isPermaLink="false">{a.slug}</guid><pubDate>{format_datetime(a.published)}</pubDate>'
            f"<description>{escape(a.paragraphs[0])}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{site}</title>'
        f"<link>{base}/</link><description>News from {site}</description>{''.join(items)}</channel></rss>"
    )


def serve_publisher(server: LocalServer, *, site: str = "The Harbour Times", path: str = "/feed.xml",
                    articles: list[FakeArticle] | None = None) -> list[FakeArticle]:  # fmt: skip
    """Route a feed at `path` and one page per article; returns the articles served."""
    articles = articles if articles is not None else sample_articles()
    base = server.base_url
    server.route(path, rss_feed(base, site, articles), content_type="application/rss+xml", etag='"feed-v1"')
    for a in articles:
        server.route(
            f"/news/{a.slug}.html", article_page(base, site, a), content_type="text/html; charset=utf-8",
            etag=f'"{a.slug}"',
        )  # fmt: skip
    return articles


def opml_for(feeds: list[tuple[str, str]], *, licence: str = "", display: str = "") -> str:
    extra = ""
    if licence:
        extra += f' tidings:licence="{escape(licence)}"'
    if display:
        extra += f' tidings:display="{display}"'
    outlines = "".join(
        f'<outline type="rss" text="{escape(name)}" title="{escape(name)}" xmlUrl="{escape(url)}"{extra}/>'
        for name, url in feeds
    )
    return (
        '<?xml version="1.0"?><opml version="2.0" xmlns:tidings="https://tidings.example/opml">'
        f"<head><title>test</title></head><body>{outlines}</body></opml>"
    )

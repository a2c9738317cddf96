"""Comments are plain text: escaped, with web addresses made into links, and nothing else rendered."""

from django import template
from django.utils.html import urlize
from django.utils.safestring import mark_safe

from comments import queries

register = template.Library()

REL = ' rel="nofollow ugc noopener"'


@register.filter(is_safe=True)
def comment_html(body: str) -> str:
    # urlize escapes everything that is not a link itself (autoescape=True). A reader typing rel="nofollow"
    # arrives here as rel=&quot;nofollow&quot;, so the only rel="nofollow" left is the one urlize wrote.
    linked = urlize(body or "", trim_url_limit=60, nofollow=True, autoescape=True)
    return mark_safe(linked.replace(' rel="nofollow"', REL))  # escaped by urlize just above


@register.simple_tag
def comment_section(article, user, known_empty=False):
    return queries.comment_section(article, user, known_empty=bool(known_empty))

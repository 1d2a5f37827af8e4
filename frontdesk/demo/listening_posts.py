"""The posts of the demo's local feed: what people say online about Riverside.

Fictional authors and blogs on example domains; some happy, some not, one about
another "Riverside" that the watch's exclusion leaves out. `feed_xml()` renders them
as the RSS 2.0 feed the demo serves at /demo/listening/feed.xml, newest first, each
dated relative to "now" so the demo always looks recent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

# (guid, hours ago, author, title, text)
POSTS: list[tuple[str, float, str, str, str]] = [
    (
        "riverside-demo-1",
        1.5,
        "Dana Whitfield",
        "Third time my hold vanished",
        "Third time this month my hold at Riverside Public Library just vanished from my "
        "account. I waited two weeks for that book and nobody answered the phone when I "
        "called. Really frustrating.",
    ),
    (
        "riverside-demo-2",
        4,
        "Marcus Bell",
        "Storytime made our week",
        "Took the twins to toddler storytime at Riverside Public Library this morning. "
        "Ms. Priya had every kid singing. Wonderful, thank you!",
    ),
    (
        "riverside-demo-3",
        7,
        "Elena Ruiz",
        "Does the library lend hotspots?",
        "Does Riverside Library lend Wi-Fi hotspots? My daughter needs internet for "
        "homework this summer and I can't find it on the website.",
    ),
    (
        "riverside-demo-4",
        20,
        "Tom Alvarez",
        "Makerspace 3D printer",
        "The 3D printer at the Riverside Library makerspace has been broken for a month. "
        "Disappointing — it was the reason I renewed my card.",
    ),
    (
        "riverside-demo-5",
        30,
        "Hannah Cole",
        "Quiet study rooms are back",
        "Riverside Public Library reopened the quiet study rooms upstairs. Booked one for "
        "Saturday in two clicks. Great job.",
    ),
    (
        "riverside-demo-6",
        44,
        "Local Weather Blog",
        "Storms in Riverside, California",
        "Heavy rain expected across Riverside, California this weekend; the Riverside "
        "Library branch on Main St in California posted closures.",
    ),
]


def feed_xml(base_url: str, *, now: datetime) -> str:
    """The RSS 2.0 document of POSTS, links under `base_url`."""
    items = []
    for guid, hours, author, title, text in POSTS:
        when = format_datetime(now - timedelta(hours=hours))
        link = f"{base_url}/demo/listening/posts/{guid}"
        items.append(
            "  <item>\n"
            f"    <title>{escape(title)}</title>\n"
            f"    <link>{escape(link)}</link>\n"
            f'    <guid isPermaLink="false">{escape(guid)}</guid>\n'
            f"    <dc:creator>{escape(author)}</dc:creator>\n"
            f"    <pubDate>{when}</pubDate>\n"
            f"    <description>{escape(text)}</description>\n"
            "  </item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "<channel>\n"
        "  <title>Riverside neighbourhood blogs (demo)</title>\n"
        f"  <link>{escape(base_url)}/demo/listening/</link>\n"
        "  <description>Posts about the demo library, served locally.</description>\n"
        "  <ttl>15</ttl>\n" + "\n".join(items) + "\n</channel>\n</rss>\n"
    )

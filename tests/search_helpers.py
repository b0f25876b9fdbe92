"""Small archives for the search/serve tests, built with the project's own Store.

The stories are this project's own text (and the seed's TASS story), laid out as the store
keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archiver.models import Article
from archiver.store import Store


@dataclass(frozen=True)
class Story:
    url: str
    title: str
    body: str
    lead: str | None = None
    source: str = "tass-en"
    published: datetime | None = None
    language: str = "en"
    tags: tuple[str, ...] = ()


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# the seed's story (../shared/seed/tass-article.txt), which the tests may carry
SEED_LEAD = (
    "Azerbaijani Defense Minister and Turkish Deputy Defense Minister also discussed "
    "the activity of the joint Russian-Turkish monitoring center of the "
    "Nagorno-Karabakh ceasefire"
)
SEED_BODY = (
    "BAKU, January 30. /TASS/. Azerbaijani Defense Minister Zakir Hasanov and "
    "Turkish Deputy Defense Minister Yunus Emre Karaosmanoglu have discussed "
    "military-technical cooperation between both states and the activity of the "
    "joint Russian-Turkish monitoring center of the Nagorno-Karabakh ceasefire, the "
    "Azerbaijani Defense Ministry’s press service informed.\n\n"
    '"Zakir Hasanov stressed that military cooperation between both states based on '
    "friendly and brotherly relations is developing and becoming stronger "
    "successfully. <…> The sides have pointed out the need to increase efforts in "
    "this direction, namely in the sphere of military-technical cooperation and "
    'holding joint drills," the statement reads.\n\n'
    "The Turkish deputy defense minister came to Azerbaijan to take part in "
    "launching the Russian-Turkish joint monitoring center, which began its work on "
    "January 30, 2021.\n\n"
    "On November 11, 2020, Russian Defense Minister Sergei Shoigu and his Turkish "
    "colleague Hulusi Akar signed a memorandum on establishing a joint "
    "Russian-Turkish monitoring center of the Nagorno-Karabakh ceasefire.\n\n"
    "Renewed clashes between Azerbaijan and Armenia erupted on September 27, 2020, "
    "with intense battles raging in the disputed region of Nagorno-Karabakh. The "
    "conflict over Nagorno-Karabakh, a disputed territory that had been part of "
    "Azerbaijan before the Soviet Union break-up, but primarily populated by ethnic "
    "Armenians, broke out in February 1988 after the Nagorno-Karabakh Autonomous "
    "Region announced its withdrawal from the Azerbaijan Soviet Socialist Republic. "
    "In 1992-1994, tensions boiled over and exploded into large-scale military "
    "action for control over the enclave and seven adjacent territories after "
    "Azerbaijan lost control of them.\n\n"
    "On November 9, 2020, Russian President Vladimir Putin, Azerbaijani President "
    "Ilham Aliyev and Armenian Prime Minister Nikol Pashinyan signed a joint "
    "statement on a complete ceasefire in Nagorno-Karabakh starting from November "
    "10. The Russian leader said the Azerbaijani and Armenian sides would maintain "
    "the positions that they had held and Russian peacekeepers would be deployed to "
    "the region. Besides, Baku and Yerevan must exchange prisoners and the bodies of "
    "those killed."
)
WIRE_BODY = SEED_BODY.replace("BAKU, January 30. /TASS/.", "BAKU, Jan 30 (Wire) -")

STORIES: tuple[Story, ...] = (
    Story(  # 1: the seed's story
        url="https://tass.com/defense/1251234",
        title="Azerbaijan, Turkey discuss military-technical cooperation",
        lead=SEED_LEAD,
        body=SEED_BODY,
        published=when("2021-01-30T09:12:00"),
        tags=("Azerbaijan", "Turkey"),
    ),
    Story(  # 2: the same story from another wire: a near-duplicate, so the same cluster as 1
        url="https://www.example-wire.com/world/azerbaijan-turkey-cooperation",
        title="Azerbaijan and Turkey discuss military-technical cooperation in Baku",
        lead=SEED_LEAD,
        body=WIRE_BODY,
        source="wire-en",
        published=when("2021-01-30T11:00:00"),
    ),
    Story(  # 3
        url="https://tass.com/economy/1300001",
        title="Grain harvest in the Volga region beats forecasts",
        lead="Farmers gathered a record wheat harvest",
        body="SAMARA, August 20. /TASS/. Farmers in the Volga region gathered a record wheat "
        "harvest this summer, regional officials said. Cooperation with exporters grew.",
        published=when("2021-08-20T06:00:00"),
        tags=("economy", "agriculture"),
    ),
    Story(  # 4: Russian
        url="https://tass.ru/ekonomika/2000001",
        title="Урожай пшеницы в Поволжье превысил прогнозы",
        body="САМАРА, 20 августа. /ТАСС/. Аграрии Поволжья собрали рекордный урожай пшеницы.",
        source="tass-ru",
        language="ru",
        published=when("2021-08-20T07:00:00"),
    ),
    Story(  # 5: title word only in the body of others
        url="https://www.example-wire.com/tech/satellite-launch",
        title="Satellite launch postponed over weather",
        body="The launch of a weather satellite was postponed for two days because of high "
        "winds at the launch site, the space agency said on Tuesday.",
        source="wire-en",
        published=when("2022-03-01T15:30:00"),
        tags=("space",),
    ),
    Story(  # 6: mentions "satellite" only in its body
        url="https://tass.com/science/1400002",
        title="Space agency plans new missions",
        body="MOSCOW, March 2. /TASS/. The space agency plans three new missions next year, "
        "including a satellite for weather observation.",
        published=when("2022-03-02T08:00:00"),
    ),
    Story(  # 7: hostile title (ANSI escape, newline, bidi override)
        url="https://www.example-wire.com/odd/escape",
        title="Breaking\x1b[31m red\x1b[0m news\nsecond line \u202egnirts",
        body="A story whose title carries terminal escapes about the harvest festival.",
        source="wire-en",
        published=when("2022-05-05T05:05:00"),
    ),
    Story(  # 8: undated, Chinese
        url="https://www.example-xinhua.cn/2022/kongjianzhan",
        title="中国空间站 完成 对接",
        body="新华社 北京 电 中国空间站 完成 对接 任务 。",
        source="xinhua-zh",
        language="zh",
        published=None,
    ),
)


def build_archive(path: Path, stories: Iterable[Story] = STORIES) -> Path:
    """An archive at ``path`` holding ``stories`` (ids 1..n in order), filed the way the
    daemon files pages (``Store.save_article``: clusters, URLs, first revisions)."""
    with Store(path) as store:
        store.migrate()
        for story in stories:
            article = Article(
                url=story.url,
                title=story.title,
                body=story.body,
                lead=story.lead,
                published=story.published,
                language=story.language,
                tags=story.tags,
            )
            store.save_article(
                article,
                source=story.source,
                fetched_url=story.url,
                seen_at=story.published or when("2023-01-01T00:00:00"),
            )
    return path

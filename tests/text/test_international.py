"""German and international texts on every counter, each value as the platform's reference gives it.

The expected values were taken from the reference implementations, run on this machine
on 2 December 2026 (the tests themselves need neither Node nor Ruby nor a network):

* X: twitter-text 3.1.0 from npm (``parseTweet``, ``extractUrls``, ``extractMentions``,
  ``extractHashtags``); the Ruby twitter-text at commit 30e2430 gave the same values except
  where a case says so.
* Bluesky: ``@atproto/api`` 0.19.19 (``RichText.graphemeLength`` and ``.length``,
  ``detectFacets``; a mention facet is shown by its handle, the DID is resolved on sending).
* Mastodon: the server's ``StatusLengthValidator`` (``countable_text``, then
  ``each_grapheme_cluster``) run in Ruby 3.1 on the twitter-text Ruby sources with
  Mastodon's ``config/initializers/twitter_regex.rb`` and ``Account::MENTION_RE``.
* SMS: 3GPP TS 23.038 (GSM 7-bit default alphabet and extension table, else UCS-2 in
  UTF-16 code units; 160/153 septets and 70/67 units per segment) and our transliteration
  table (``publisher/text/sms.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from publisher.text import bluesky, mastodon, sms, x, x_entities


@dataclass(frozen=True)
class Case:
    text: str
    why: str
    x: tuple[int, list[str], list[str], list[str]]  # weighted length, URLs, mentions, hashtags
    bluesky: tuple[int, int, list[tuple[str, str]]]  # graphemes, UTF-8 bytes, facets (text, uri/tag/handle)
    mastodon: int  # what the server compares with max_characters
    sms: tuple[str, int, int, str | None]  # encoding, units, segments, sent text if it differs


CASES = [
    Case(
        "Straßensperrung in Görlitz: Ölspur auf der Brücke",
        "umlauts and ß: one each everywhere, all in the GSM-7 default alphabet",
        x=(49, [], [], []),
        bluesky=(49, 53, []),
        mastodon=49,
        sms=("gsm7", 49, 1, None),
    ),
    Case(
        "GROSSE STRAẞE, Maße, Füße, Ärger über Öl",
        "capital ẞ (U+1E9E): X weighs it 2 (outside its weight-1 ranges), one grapheme elsewhere; SMS sends "
        "SS (GSM-7 has only ß)",
        x=(41, [], [], []),
        bluesky=(40, 48, []),
        mastodon=40,
        sms=("gsm7", 41, 1, "GROSSE STRASSE, Maße, Füße, Ärger über Öl"),
    ),
    Case(
        "Familie 👨\u200d👩\u200d👧\u200d👦 beim Stadtfest",
        "emoji ZWJ family of 7 code points: X weighs it 2, one grapheme on Mastodon and Bluesky, 11 UTF-16 "
        "units in a UCS-2 SMS",
        x=(25, [], [], []),
        bluesky=(24, 48, []),
        mastodon=24,
        sms=("ucs2", 34, 1, None),
    ),
    Case(
        "Flaggen 🇩🇪 🇺🇦 🇹🇷 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
        "flags (regional-indicator pairs) and the Scottish flag (tag sequence): one emoji, one grapheme each",
        x=(19, [], [], []),
        bluesky=(15, 63, []),
        mastodon=15,
        sms=("ucs2", 37, 1, None),
    ),
    Case(
        "Daumen 👍🏽 und 🧑🏿\u200d🚒 Feuerwehr",
        "skin tones: one grapheme each; the X references disagree on the firefighter "
        "(npm twitter-text 3.1.0: 29, Ruby twitter-text at 30e2430: 26); we follow the npm release",
        x=(29, [], [], []),
        bluesky=(24, 45, []),
        mastodon=24,
        sms=("ucs2", 33, 1, None),
    ),
    Case(
        "🏳️\u200d🌈 Vielfalt, 🫱🏼\u200d🫲🏿 Partnerschaft",
        "rainbow flag (VS16 + ZWJ) and the Emoji 14 handshake with two skin tones: one grapheme each",
        x=(36, [], [], []),
        bluesky=(27, 58, []),
        mastodon=27,
        sms=("ucs2", 40, 1, None),
    ),
    Case(
        "Infos: stadt.de und landkreis-musterhausen.de",
        "ccTLD bare domains: X links both (23 each); Bluesky's detectFacets only the unhyphenated one; "
        "Mastodon links nothing without a scheme",
        x=(58, ["stadt.de", "landkreis-musterhausen.de"], [], []),
        bluesky=(45, 45, [("stadt.de", "https://stadt.de")]),
        mastodon=45,
        sms=("gsm7", 45, 1, None),
    ),
    Case(
        "Pegel: hochwasser.bayern, wetter.at, meteo.ch, stadt.eu.",
        "regional and country TLDs (.bayern .at .ch .eu); a final full stop is not part of the link",
        x=(106, ["hochwasser.bayern", "wetter.at", "meteo.ch", "stadt.eu"], [], []),
        bluesky=(
            56,
            56,
            [
                ("hochwasser.bayern", "https://hochwasser.bayern"),
                ("wetter.at", "https://wetter.at"),
                ("meteo.ch", "https://meteo.ch"),
                ("stadt.eu", "https://stadt.eu"),
            ],
        ),
        mastodon=56,
        sms=("gsm7", 56, 1, None),
    ),
    Case(
        "Ortsteile z.B. Nord.Süd und Mo.-Fr. geöffnet",
        "abbreviations z.B., Nord.Süd, Mo.-Fr. are no links anywhere",
        x=(44, [], [], []),
        bluesky=(44, 46, []),
        mastodon=44,
        sms=("gsm7", 44, 1, None),
    ),
    Case(
        "https://www.köln.de/straßen gesperrt",
        "IDN host and umlauts in the path: one link on X and Mastodon (23), one link facet on Bluesky",
        x=(32, ["https://www.köln.de/straßen"], [], []),
        bluesky=(36, 38, [("https://www.köln.de/straßen", "https://www.köln.de/straßen")]),
        mastodon=32,
        sms=("gsm7", 36, 1, None),
    ),
    Case(
        "Bürgerbüro: https://münchen.de/ämter/bürgerbüro?tag=dienstag",
        "query string after an IDN host and an umlaut path: still one link",
        x=(35, ["https://münchen.de/ämter/bürgerbüro?tag=dienstag"], [], []),
        bluesky=(
            60,
            66,
            [
                (
                    "https://münchen.de/ämter/bürgerbüro?tag=dienstag",
                    "https://münchen.de/ämter/bürgerbüro?tag=dienstag",
                )
            ],
        ),
        mastodon=35,
        sms=("gsm7", 60, 1, None),
    ),
    Case(
        "Wahl: www.düsseldorf.de/wahl",
        "www. with an IDN host and no scheme: a link on X; no facet on Bluesky (its bare-domain pattern is "
        "ASCII); plain text on Mastodon",
        x=(29, ["www.düsseldorf.de/wahl"], [], []),
        bluesky=(28, 29, []),
        mastodon=28,
        sms=("gsm7", 28, 1, None),
    ),
    Case(
        "Amt: bürgerbüro.de und xn--brgerbro-p2a.de",
        "a bare IDN domain and its punycode form: links on X; no facet on Bluesky (non-ASCII, and a "
        "hyphen); plain text on Mastodon",
        x=(56, ["bürgerbüro.de", "xn--brgerbro-p2a.de"], [], []),
        bluesky=(42, 44, []),
        mastodon=42,
        sms=("gsm7", 42, 1, None),
    ),
    Case(
        "(Infos unter https://stadt.de/pegel)",
        "a link in brackets ends before ')' on every platform",
        x=(37, ["https://stadt.de/pegel"], [], []),
        bluesky=(36, 36, [("https://stadt.de/pegel", "https://stadt.de/pegel")]),
        mastodon=37,
        sms=("gsm7", 36, 1, None),
    ),
    Case(
        "„https://stadt.de/info“ lesen",
        "German quotes: X ends the link before “; the Mastodon server takes “ into the link (30); Bluesky "
        "gives no facet after „",
        x=(31, ["https://stadt.de/info"], [], []),
        bluesky=(29, 33, []),
        mastodon=30,
        sms=("gsm7", 29, 1, '"https://stadt.de/info" lesen'),
    ),
    Case(
        "Danke @feuerwehr und @presse@social.bund.de!",
        "a local and a remote mention: X sees only @feuerwehr (a name followed by @ is none); Mastodon "
        "counts @presse@social.bund.de as @presse",
        x=(44, [], ["feuerwehr"], []),
        bluesky=(44, 44, []),
        mastodon=29,
        sms=("gsm7", 44, 1, None),
    ),
    Case(
        "@thw@social.thw.de @stadt@mastodon.social danke",
        "two remote mentions: Mastodon counts only @thw and @stadt (17); X sees none",
        x=(47, [], [], []),
        bluesky=(47, 47, []),
        mastodon=17,
        sms=("gsm7", 47, 1, None),
    ),
    Case(
        "Bluesky: @feuerwehr.stadt.de und @presse.bund.de",
        "Bluesky handles become mention facets (the DID is resolved when sending); X sees @feuerwehr and "
        "@presse",
        x=(48, [], ["feuerwehr", "presse"], []),
        bluesky=(
            48,
            48,
            [
                ("@feuerwehr.stadt.de", "mention:feuerwehr.stadt.de"),
                ("@presse.bund.de", "mention:presse.bund.de"),
            ],
        ),
        mastodon=48,
        sms=("gsm7", 48, 1, None),
    ),
    Case(
        "Mail an presse@stadt.de, nicht @presse",
        "an e-mail address is no mention on any platform",
        x=(38, [], ["presse"], []),
        bluesky=(38, 38, []),
        mastodon=38,
        sms=("gsm7", 38, 1, None),
    ),
    Case(
        "تحذير: فيضان في المدينة #فيضان https://stadt.de/ar",
        "Arabic: weight 1 on X (U+0600 block), two UTF-8 bytes per letter on Bluesky, UCS-2 SMS; an Arabic "
        "hashtag",
        x=(54, ["https://stadt.de/ar"], [], ["فيضان"]),
        bluesky=(50, 74, [("#فيضان", "فيضان"), ("https://stadt.de/ar", "https://stadt.de/ar")]),
        mastodon=54,
        sms=("ucs2", 50, 1, None),
    ),
    Case(
        "Dikkat: İzmir'de ağır yağış, ılık hava #İzmir #sel",
        "Turkish İ ı ğ ş: weight 1 on X, hashtag #İzmir; UCS-2 SMS (no Turkish letters in the GSM-7 default "
        "alphabet)",
        x=(50, [], [], ["İzmir", "sel"]),
        bluesky=(50, 59, [("#İzmir", "İzmir"), ("#sel", "sel")]),
        mastodon=50,
        sms=("ucs2", 50, 1, None),
    ),
    Case(
        "IŞIK ılık ĞÜŞ #Işık",
        "Turkish capitals Ş Ğ and dotless ı in a hashtag",
        x=(19, [], [], ["Işık"]),
        bluesky=(19, 27, [("#Işık", "Işık")]),
        mastodon=19,
        sms=("ucs2", 19, 1, None),
    ),
    Case(
        "Увага: повінь у Києві, ґанок, їжа, євро #повінь",
        "Ukrainian ї є ґ: weight 1 on X, a Cyrillic hashtag; UCS-2 SMS",
        x=(47, [], [], ["повінь"]),
        bluesky=(47, 82, [("#повінь", "повінь")]),
        mastodon=47,
        sms=("ucs2", 47, 1, None),
    ),
    Case(
        "ЇЖАК Єва Ґава #Київ",
        "Ukrainian capitals Ї Є Ґ and a Cyrillic hashtag",
        x=(19, [], [], ["Київ"]),
        bluesky=(19, 34, [("#Київ", "Київ")]),
        mastodon=19,
        sms=("ucs2", 19, 1, None),
    ),
    Case(
        "#Hochwasser #Straßenfest #Ahr2026 #2026 #Bürger_innen",
        "hashtags with ß, digits and an underscore; #2026 (digits only) is no hashtag",
        x=(53, [], [], ["Hochwasser", "Straßenfest", "Ahr2026", "Bürger_innen"]),
        bluesky=(
            53,
            55,
            [
                ("#Hochwasser", "Hochwasser"),
                ("#Straßenfest", "Straßenfest"),
                ("#Ahr2026", "Ahr2026"),
                ("#Bürger_innen", "Bürger_innen"),
            ],
        ),
        mastodon=53,
        sms=("gsm7", 53, 1, None),
    ),
    Case(
        "Hitze bis 38 °C – trinken Sie ½ Liter je Stunde!",
        "°, ½ and the en dash: SMS sends the GSM-7 transliteration; X weighs each 1",
        x=(48, [], [], []),
        bluesky=(48, 52, []),
        mastodon=48,
        sms=("gsm7", 60, 1, "Hitze bis 38 Grad Celsius - trinken Sie 1/2 Liter je Stunde!"),
    ),
    Case(
        "Sirenen\xadprobe um 11 Uhr … bitte nicht 112 wählen",
        "soft hyphen and ellipsis: X weighs … 2 (U+2026 is outside the weight-1 ranges); SMS drops the soft "
        "hyphen and sends ...",
        x=(49, [], [], []),
        bluesky=(48, 52, []),
        mastodon=48,
        sms=("gsm7", 49, 1, "Sirenenprobe um 11 Uhr ... bitte nicht 112 wählen"),
    ),
]
IDS = [c.why.split(":")[0][:60] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_x_weighs_and_finds_entities_like_twitter_text(case: Case) -> None:
    text = case.text
    found = (
        x.parse(text).weighted_length,
        [text[start:end] for start, end in x.extract_urls(text)],
        [m.screen_name for m in x_entities.mentions(text)],
        [t.text for t in x_entities.hashtags(text)],
    )
    assert found == case.x, case.why


def _bluesky_facets(text: str) -> list[tuple[str, str]]:
    data = text.encode()
    found = [
        (
            f["index"]["byteStart"],
            f["index"]["byteEnd"],
            f["features"][0].get("uri") or f["features"][0]["tag"],
        )
        for f in bluesky.facets(text)
    ]
    found += [(m.byte_start, m.byte_end, f"mention:{m.handle}") for m in bluesky.mentions(text)]
    return [(data[start:end].decode(), target) for start, end, target in sorted(found)]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_bluesky_counts_and_facets_like_the_atproto_reference(case: Case) -> None:
    found = (bluesky.graphemes(case.text), bluesky.utf8_length(case.text), _bluesky_facets(case.text))
    assert found == case.bluesky, case.why


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_mastodon_counts_like_the_server(case: Case) -> None:
    assert mastodon.count(case.text) == case.mastodon, case.why


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sms_encodes_and_segments_per_3gpp_ts_23_038(case: Case) -> None:
    found = sms.analyse(case.text)
    sent = found.text if found.text != case.text else None
    assert (found.encoding, found.units, found.segments, sent) == case.sms, case.why


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "why"),
    [
        ("Ä" * 160, "gsm7", 1, "160 septets fit one GSM-7 SMS"),
        ("Ä" * 161, "gsm7", 2, "161 need two parts of at most 153"),
        ("€" * 80, "gsm7", 1, "€ is in the extension table: 2 septets each, 160 in all"),
        ("€" * 81, "gsm7", 2, "162 septets: two parts"),
        ("ğ" * 70, "ucs2", 1, "70 UCS-2 units fit one SMS"),
        ("ğ" * 71, "ucs2", 2, "71 need two parts of at most 67"),
        ("👍🏽" * 17 + "a", "ucs2", 1, "an emoji with a skin tone is 4 UTF-16 units: 69 units"),
        ("👍🏽" * 18, "ucs2", 2, "72 units: two parts"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 80 and " " in value else None,
)
def test_sms_segment_boundaries_per_3gpp_ts_23_038(text: str, encoding: str, segments: int, why: str) -> None:
    found = sms.analyse(text)
    assert (found.encoding, found.segments) == (encoding, segments), why

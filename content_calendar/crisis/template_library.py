"""Alert templates shipped with Ernstfall (German municipal practice).

Every template has German, English and Leichte Sprache (``de-x-ls``) texts; some add
Turkish, Arabic or Ukrainian. ``channel:sms`` is a short variant for SMS (at most two
GSM-7 segments: no typographic quotes or dashes, which would switch to UCS-2 and
halve the room). Placeholders are typed and limited in length so that the approval
check can test the longest allowed input against every channel, with the drill and
update marks the composer adds ("ÜBUNG – Aktualisierung – ").

They are loaded as version 1 *without* approval: a second person approves each one
on the template admin page ("Mitgelieferte Vorlagen anlegen", then "freigeben").
"""

from __future__ import annotations

from typing import Any

# Matched against a channel's name or type (see alerts.alert_channels).
ALL_CHANNELS = [
    "mastodon",
    "facebook",
    "instagram",
    "x",
    "bluesky",
    "telegram",
    "email",
    "webhook",
    "apprise",
]
ALL_SOCIAL = ALL_CHANNELS  # kept for callers of the first version

AREA = {"type": "area", "label": "Gebiet", "max_length": 40}
PHONE = {"type": "phone", "label": "Bürgertelefon"}


def _cap(category: str, urgency: str, severity: str, certainty: str, response: str) -> dict[str, str]:
    return {
        "category": category,
        "urgency": urgency,
        "severity": severity,
        "certainty": certainty,
        "responseType": response,
    }


TEMPLATES: list[dict[str, Any]] = [
    {
        "key": "unwetter",
        "name": "Unwetterwarnung",
        "event": "Unwetter",
        "level": "severe",
        "cap": _cap("Met", "Expected", "Severe", "Likely", "Prepare"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {
            "gebiet": AREA,
            "von": {"type": "time", "label": "Beginn"},
            "bis": {"type": "time", "label": "Ende"},
        },
        "texts": {
            "de": {
                "headline": "Unwetterwarnung für {gebiet}",
                "text": "Unwetterwarnung für {gebiet} von {von} bis {bis} Uhr. Bleiben Sie "
                "in Gebäuden, meiden Sie Bäume und sichern Sie lose Gegenstände.",
            },
            "en": {
                "headline": "Severe weather warning for {gebiet}",
                "text": "Severe weather warning for {gebiet} from {von} to {bis}. Stay "
                "indoors, keep away from trees and secure loose objects.",
            },
            "de-x-ls": {
                "headline": "Sturm in {gebiet}",
                "text": "Es kommt ein starker Sturm. Von {von} bis {bis} Uhr. "
                "Bleiben Sie im Haus. Gehen Sie nicht unter Bäume.",
            },
            "tr": {
                "headline": "{gebiet} için fırtına uyarısı",
                "text": "{gebiet} için {von} ile {bis} arası fırtına uyarısı. Binalarda kalın, "
                "ağaçlardan uzak durun.",
                "channel:sms": "Fırtına uyarısı {gebiet}, {von}-{bis}. Binalarda kalın.",
            },
        },
    },
    {
        "key": "hochwasser",
        "name": "Hochwasser",
        "event": "Hochwasser",
        "level": "extreme",
        "cap": _cap("Met", "Immediate", "Extreme", "Observed", "Evacuate"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {
            "gebiet": AREA,
            "gewaesser": {"type": "place", "label": "Gewässer", "max_length": 30},
            "sammelstellen": {"type": "place_list", "label": "Sammelstellen", "max_length": 90},
            "telefon": PHONE,
        },
        "texts": {
            "de": {
                "headline": "Hochwasser: {gebiet} jetzt verlassen",
                "text": "Extreme Gefahr: Hochwasser an {gewaesser}. Verlassen Sie {gebiet} sofort, "
                "gehen Sie nicht in Keller oder Tiefgaragen. Sammelstellen: {sammelstellen}. "
                "Hilfe: {telefon}.",
                "channel:sms": "HOCHWASSER {gewaesser}: {gebiet} sofort verlassen. Keine Keller. "
                "Sammelstellen: {sammelstellen}. Hilfe: {telefon}",
                "channel:x": "HOCHWASSER {gewaesser}: {gebiet} sofort verlassen. Keine Keller. "
                "Sammelstellen: {sammelstellen}. Hilfe: {telefon}",
                "channel:bluesky": "HOCHWASSER {gewaesser}: {gebiet} sofort verlassen. Keine Keller. "
                "Sammelstellen: {sammelstellen}. Hilfe: {telefon}",
            },
            "en": {
                "headline": "Flood: leave {gebiet} now",
                "text": "Extreme danger: flood at {gewaesser}. Leave {gebiet} now, do not enter "
                "basements or car parks. Assembly points: {sammelstellen}. "
                "Help: {telefon}.",
                "channel:x": "FLOOD {gewaesser}: leave {gebiet} now. No basements. "
                "Assembly points: {sammelstellen}. Help: {telefon}",
                "channel:bluesky": "FLOOD {gewaesser}: leave {gebiet} now. No basements. "
                "Assembly points: {sammelstellen}. Help: {telefon}",
            },
            "de-x-ls": {
                "headline": "Hoch-Wasser. Gehen Sie weg aus {gebiet}",
                "text": "Es gibt Hoch-Wasser. Das ist gefährlich. Gehen Sie sofort weg aus "
                "{gebiet}. Gehen Sie nicht in den Keller. Hilfe gibt es hier: "
                "{sammelstellen}.",
            },
            "uk": {
                "headline": "Повінь: негайно залиште {gebiet}",
                "text": "Надзвичайна небезпека: повінь ({gewaesser}). Негайно залиште {gebiet}. "
                "Пункти збору: {sammelstellen}. Допомога: {telefon}.",
                "channel:sms": "Повінь! Негайно залиште {gebiet}. Допомога: {telefon}",
            },
        },
    },
    {
        "key": "stromausfall",
        "name": "Stromausfall mit Anlaufstellen",
        "event": "Stromausfall",
        "level": "severe",
        "cap": _cap("Infra", "Immediate", "Severe", "Observed", "Shelter"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {
            "gebiet": AREA,
            "leuchttuerme": {"type": "place_list", "label": "Anlaufstellen (Leuchttürme)", "max_length": 90},
            "telefon": PHONE,
        },
        "texts": {
            "de": {
                "headline": "Stromausfall in {gebiet}",
                "text": "Stromausfall in {gebiet}. Notfall-Anlaufstellen (Leuchttürme): "
                "{leuchttuerme}. Dort gibt es Infos und Notruf. Bürgertelefon: {telefon}.",
            },
            "en": {
                "headline": "Power cut in {gebiet}",
                "text": "Power cut in {gebiet}. Emergency meeting points: {leuchttuerme}. "
                "Information and emergency calls there. Hotline: {telefon}.",
            },
            "de-x-ls": {
                "headline": "Kein Strom in {gebiet}",
                "text": "In {gebiet} gibt es keinen Strom. Hilfe bekommen Sie hier: "
                "{leuchttuerme}. Telefon: {telefon}.",
            },
        },
    },
    {
        "key": "trinkwasser_abkochen",
        "name": "Trinkwasser abkochen",
        "event": "Verunreinigtes Trinkwasser",
        "level": "severe",
        "cap": _cap("Health", "Immediate", "Severe", "Observed", "Avoid"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {"gebiet": AREA, "telefon": PHONE},
        "texts": {
            "de": {
                "headline": "Trinkwasser abkochen in {gebiet}",
                "text": "Trinkwasser in {gebiet} nur abgekocht verwenden: zum Trinken, Zähneputzen "
                "und für Babynahrung einmal sprudelnd aufkochen und 10 Minuten abkühlen lassen. "
                "Infos: {telefon}.",
            },
            "en": {
                "headline": "Boil water notice for {gebiet}",
                "text": "Boil tap water in {gebiet} before drinking, brushing teeth or preparing "
                "baby food: bring to a rolling boil and let it cool for 10 minutes. "
                "Info: {telefon}.",
            },
            "de-x-ls": {
                "headline": "Wasser kochen in {gebiet}",
                "text": "Das Wasser aus der Leitung ist nicht sauber. Kochen Sie das Wasser, bevor "
                "Sie es trinken. Auch für Zähne-Putzen.",
            },
            "ar": {
                "headline": "اغلوا ماء الشرب في {gebiet}",
                "text": "يجب غلي ماء الصنبور في {gebiet} قبل الشرب أو تنظيف الأسنان. معلومات: {telefon}.",
                "channel:sms": "اغلوا ماء الصنبور في {gebiet}. {telefon}",
            },
        },
    },
    {
        "key": "bombenentschaerfung",
        "name": "Bombenentschärfung / Evakuierung",
        "event": "Kampfmittelfund",
        "level": "extreme",
        "cap": _cap("Safety", "Immediate", "Extreme", "Observed", "Evacuate"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {
            "gebiet": {**AREA, "label": "Sperrgebiet"},
            "bis": {"type": "time", "label": "Gebiet verlassen bis"},
            "sammelstelle": {"type": "place", "label": "Betreuungsstelle", "max_length": 50},
            "telefon": PHONE,
        },
        "texts": {
            "de": {
                "headline": "Bombenentschärfung: {gebiet} räumen",
                "text": "Fliegerbombe gefunden. Verlassen Sie das Sperrgebiet {gebiet} bis {bis} Uhr. "
                "Betreuungsstelle: {sammelstelle}. Helfen Sie Nachbarn. Bürgertelefon: {telefon}.",
            },
            "en": {
                "headline": "Bomb disposal: evacuate {gebiet}",
                "text": "Unexploded WWII bomb found. Leave the exclusion zone {gebiet} by {bis}. "
                "Shelter: {sammelstelle}. Please help your neighbours. Hotline: {telefon}.",
            },
            "de-x-ls": {
                "headline": "Bombe gefunden. Gehen Sie weg aus {gebiet}",
                "text": "Man hat eine alte Bombe gefunden. Gehen Sie bis {bis} Uhr weg aus {gebiet}. "
                "Sie können hier warten: {sammelstelle}.",
            },
        },
    },
    {
        "key": "grossbrand",
        "name": "Großbrand — Fenster und Türen schließen",
        "event": "Großbrand mit Rauchentwicklung",
        "level": "extreme",
        "cap": _cap("Fire", "Immediate", "Severe", "Observed", "Shelter"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {
            "ort": {"type": "place", "label": "Brandort", "max_length": 50},
            "gebiet": {**AREA, "label": "Betroffenes Gebiet"},
        },
        "texts": {
            "de": {
                "headline": "Großbrand: Fenster und Türen schließen",
                "text": "Großbrand {ort}. Starker Rauch in {gebiet}: Fenster und Türen schließen, "
                "Lüftung und Klimaanlage ausschalten, Gebiet meiden. Notruf 112 nur im Notfall.",
            },
            "en": {
                "headline": "Major fire: close windows and doors",
                "text": "Major fire at {ort}. Heavy smoke in {gebiet}: close windows and doors, switch "
                "off ventilation, avoid the area. Call 112 only in an emergency.",
            },
            "de-x-ls": {
                "headline": "Feuer. Machen Sie Fenster und Türen zu",
                "text": "Es brennt bei {ort}. Es gibt viel Rauch in {gebiet}. Machen Sie die Fenster "
                "und Türen zu. Bleiben Sie im Haus.",
            },
        },
    },
    {
        "key": "gasaustritt",
        "name": "Gasaustritt",
        "event": "Gasaustritt",
        "level": "extreme",
        "cap": _cap("Safety", "Immediate", "Extreme", "Observed", "Evacuate"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {
            "ort": {"type": "place", "label": "Ort des Gasaustritts", "max_length": 50},
            "radius": {"type": "text", "label": "Sperrradius", "max_length": 20},
        },
        "texts": {
            "de": {
                "headline": "Gasaustritt {ort}",
                "text": "Gasaustritt {ort}. Bereich im Umkreis von {radius} sofort verlassen. Keine "
                "Schalter, Klingeln oder Handys im Gebäude benutzen, kein offenes Feuer.",
            },
            "en": {
                "headline": "Gas leak at {ort}",
                "text": "Gas leak at {ort}. Leave the area within {radius} now. Do not use switches, "
                "doorbells or phones inside buildings, no open flames.",
            },
            "de-x-ls": {
                "headline": "Gas tritt aus bei {ort}",
                "text": "Bei {ort} kommt Gas heraus. Das ist gefährlich. Gehen Sie sofort weg. "
                "Machen Sie kein Licht an.",
            },
        },
    },
    {
        "key": "hitzewarnung",
        "name": "Hitzewarnung",
        "event": "Hitze",
        "level": "info",
        "cap": _cap("Health", "Expected", "Moderate", "Likely", "Prepare"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {
            "tage": {"type": "text", "label": "Zeitraum", "max_length": 40},
            "orte": {"type": "place_list", "label": "Kühle Orte", "max_length": 90},
        },
        "texts": {
            "de": {
                "headline": "Hitzewarnung {tage}",
                "text": "Hitzewarnung {tage}: Viel trinken, Mittagshitze meiden, auf ältere Nachbarn "
                "achten. Kühle Orte zum Ausruhen: {orte}.",
            },
            "en": {
                "headline": "Heat warning {tage}",
                "text": "Heat warning {tage}: drink plenty, avoid the midday heat, look after older "
                "neighbours. Cool places to rest: {orte}.",
            },
            "de-x-ls": {
                "headline": "Es wird sehr heiß",
                "text": "Es wird sehr heiß: {tage}. Trinken Sie viel Wasser. Bleiben Sie mittags "
                "im Schatten. Hier ist es kühl: {orte}.",
            },
            "tr": {
                "headline": "Sıcak hava uyarısı {tage}",
                "text": "Sıcak hava uyarısı {tage}: bol su için, öğle sıcağından kaçının. "
                "Serin yerler: {orte}.",
                "channel:sms": "Sıcak hava uyarısı {tage}. Bol su için.",
            },
        },
    },
    {
        "key": "strassensperrung",
        "name": "Straßensperrung",
        "event": "Straßensperrung",
        "level": "info",
        "cap": _cap("Transport", "Expected", "Minor", "Observed", "Avoid"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {
            "strasse": {"type": "place", "label": "Straße / Abschnitt", "max_length": 60},
            "bis": {"type": "time", "label": "Voraussichtlich bis"},
            "umleitung": {"type": "text", "label": "Umleitung", "max_length": 60},
        },
        "texts": {
            "de": {
                "headline": "Sperrung {strasse}",
                "text": "{strasse} ist voraussichtlich bis {bis} Uhr gesperrt. Umleitung: {umleitung}. "
                "Bitte Einsatzkräfte nicht behindern.",
            },
            "en": {
                "headline": "Road closed: {strasse}",
                "text": "{strasse} is closed until about {bis}. Diversion: {umleitung}. Please keep "
                "the way clear for emergency services.",
            },
            "de-x-ls": {
                "headline": "Straße gesperrt: {strasse}",
                "text": "Die Straße {strasse} ist gesperrt. Bis {bis} Uhr. Fahren Sie so: {umleitung}.",
            },
        },
    },
    {
        "key": "richtigstellung",
        "name": "Richtigstellung (Falschmeldung)",
        "event": "Richtigstellung einer Falschmeldung",
        "level": "info",
        "cap": _cap("Other", "Immediate", "Minor", "Observed", "None"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {
            "behauptung": {"type": "text", "label": "Falsche Behauptung", "max_length": 80},
            "richtig": {"type": "text", "label": "Richtig ist", "max_length": 100},
            "link": {"type": "url", "label": "Offizielle Informationen", "required": False, "max_length": 60},
        },
        "texts": {
            "de": {
                "headline": "Richtigstellung: Das stimmt nicht",
                "text": "Falschmeldung: {behauptung} Das ist falsch. Richtig ist: {richtig} "
                "Bitte teilen Sie nur offizielle Informationen. {link}",
                "channel:sms": "Falschmeldung: {behauptung} Richtig ist: {richtig} {link}",
                "channel:x": "Falschmeldung: {behauptung} Richtig ist: {richtig} {link}",
                "channel:bluesky": "Falschmeldung: {behauptung} Richtig ist: {richtig} {link}",
            },
            "en": {
                "headline": "Correction: this is not true",
                "text": "False report: {behauptung} This is not true. The facts: {richtig} "
                "Please share only official information. {link}",
                "channel:sms": "False report: {behauptung} Facts: {richtig} {link}",
                "channel:x": "False report: {behauptung} Facts: {richtig} {link}",
                "channel:bluesky": "False report: {behauptung} Facts: {richtig} {link}",
            },
            "de-x-ls": {
                "headline": "Diese Nachricht ist falsch",
                "text": "Manche Leute sagen: {behauptung} Das ist falsch. Richtig ist: {richtig}",
            },
        },
    },
    {
        "key": "probealarm",
        "name": "Probealarm",
        "event": "Probealarm Sirenen",
        "level": "info",
        "cap": _cap("Safety", "Expected", "Minor", "Observed", "None"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {"zeit": {"type": "time", "label": "Zeitpunkt des Probealarms"}},
        "texts": {
            "de": {
                "headline": "Probealarm um {zeit} Uhr",
                "text": "Am {zeit} Uhr heulen die Sirenen zur Probe. Es besteht keine Gefahr, "
                "Sie müssen nichts tun.",
            },
            "en": {
                "headline": "Siren test at {zeit}",
                "text": "The sirens will be tested at {zeit}. There is no danger, you do not need "
                "to do anything.",
            },
            "de-x-ls": {
                "headline": "Die Sirenen werden getestet",
                "text": "Um {zeit} Uhr hören Sie Sirenen. Das ist nur ein Test. Es gibt keine Gefahr.",
            },
        },
    },
    {
        "key": "entwarnung",
        "name": "Entwarnung",
        "event": "Entwarnung",
        "level": "allclear",
        "cap": _cap("Safety", "Past", "Minor", "Observed", "AllClear"),
        "channel_names": ALL_CHANNELS,
        "placeholders": {
            "gebiet": AREA,
            "hinweis": {"type": "text", "label": "Hinweis", "required": False, "max_length": 80},
        },
        "texts": {
            "de": {
                "headline": "Entwarnung für {gebiet}",
                "text": "Entwarnung für {gebiet}: Die Gefahr ist vorüber. {hinweis}",
            },
            "en": {
                "headline": "All clear for {gebiet}",
                "text": "All clear for {gebiet}: the danger is over. {hinweis}",
            },
            "de-x-ls": {
                "headline": "Keine Gefahr mehr in {gebiet}",
                "text": "In {gebiet} ist die Gefahr vorbei. {hinweis}",
            },
        },
    },
]

REQUIRED_LANGUAGES = ("de", "en", "de-x-ls")

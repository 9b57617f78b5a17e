"""``capitals``: "What is the capital of <country>?" for the world's sovereign states.

Ground truth comes from the maintained ``countryinfo`` package (extra ``[tasks]``), read at import
time (no network), then cleaned by the tables below; every decision has a reason:

- :data:`SKIPPED_ENTRIES` — duplicate or sub-national records in the package.
- :data:`NOT_SOVEREIGN` — dependent territories, dissolved states and uninhabited areas: the task is
  about countries (UN member states plus the Holy See).
- :data:`DROPPED` — countries whose capital (or statehood) is disputed: no single answer is true.
- :data:`OVERRIDES` — countries whose accepted answers differ from the package's single ``capital``:
  several capitals (``status="plural"``, all accepted), no de jure capital (``"de_facto"``), or
  outdated package data (``"corrected"``). Items with a status other than ``"official"`` are *marked*:
  ``item.meta["capital_status"]`` and ``item.meta["note"]`` say why; ``CapitalsTask(include_marked=False)``
  leaves them out.
- :data:`ALIASES` — documented alternative names accepted besides the capital's name (exonyms,
  transliterations, "City" suffixes).

Matching is accent-, case-, punctuation- and article-insensitive (:func:`normalize_text`), and
"Saint"/"St." spellings are interchangeable. Items are ordered and identified by ISO 3166-1
alpha-3 code. Kosovo is not in the package and so not in the task.

Two prompt styles, same items, ids and answers:

- ``instruction`` (task ``capitals``): "What is the capital of France? Answer with the city name
  only." — for instruction-tuned models behind a chat template.
- ``fewshot`` (task ``capitals_fewshot``): three worked ``Q: ... A: ...`` examples, then
  ``Q: What is the capital of France?\nA:`` — for base models fed plain text. Measured on the
  embedded Gemma 3 270M (a base model; 8 samples at temperature 1 for 40 random countries): the
  instruction style through its Gemma turn format answers 0% correctly, the few-shot style on plain
  text (``chat_template="none"``) about 50%, from 0% to 100% per country.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

from .._extras import require
from ..rewards.verifier import normalize_text
from .base import Task, TaskItem

QUESTION_TEMPLATE = "What is the capital of {country}?"
PROMPT_TEMPLATE = QUESTION_TEMPLATE + " Answer with the city name only."
#: The ``fewshot`` style, for base models fed plain text (the embedded Gemma 3 270M with
#: ``chat_template="none"``): three worked examples, none of them a country of this task, so no
#: item's answer is in any prompt. Extraction reads the first line of the continuation.
FEWSHOT_TEMPLATE = (
    "Q: What is the capital of Scotland?\nA: Edinburgh\n\n"
    "Q: What is the capital of Greenland?\nA: Nuuk\n\n"
    "Q: What is the capital of Puerto Rico?\nA: San Juan\n\n"
    "Q: " + QUESTION_TEMPLATE + "\nA:"
)
STYLES = {"instruction": PROMPT_TEMPLATE, "fewshot": FEWSHOT_TEMPLATE}

#: Package records skipped by key: record -> reason.
SKIPPED_ENTRIES: dict[str, str] = {
    "burma": "duplicate of the Myanmar record (MMR)",
    "palestine, state of": "duplicate of the Palestine record (PSE), with a different capital",
    "holy see (vatican city state)": "duplicate of the Vatican City State record (VAT)",
    "wales": "constituent country of the United Kingdom (shares GBR); no capital in the data",
    "scotland": "constituent country of the United Kingdom; no ISO code",
}

#: Records that are not sovereign states: alpha-3 -> reason.
NOT_SOVEREIGN: dict[str, str] = {
    "ABW": "Aruba: constituent country of the Kingdom of the Netherlands",
    "AIA": "Anguilla: British overseas territory",
    "ALA": "Åland Islands: autonomous region of Finland",
    "ANT": "Netherlands Antilles: dissolved in 2010",
    "ASM": "American Samoa: US territory",
    "ATA": "Antarctica: no capital, not a state",
    "ATF": "French Southern and Antarctic Lands: French territory",
    "BES": "Caribbean Netherlands: special municipalities of the Netherlands (three seats)",
    "BLM": "Saint Barthélemy: French overseas collectivity",
    "BMU": "Bermuda: British overseas territory",
    "BVT": "Bouvet Island: uninhabited Norwegian dependency",
    "CCK": "Cocos (Keeling) Islands: Australian territory",
    "COK": "Cook Islands: self-governing in free association with New Zealand, not a UN member",
    "CUW": "Curaçao: constituent country of the Kingdom of the Netherlands",
    "CXR": "Christmas Island: Australian territory",
    "CYM": "Cayman Islands: British overseas territory",
    "FLK": "Falkland Islands: British overseas territory (sovereignty claimed by Argentina)",
    "FRO": "Faroe Islands: autonomous territory of Denmark",
    "GGY": "Guernsey: British Crown dependency",
    "GIB": "Gibraltar: British overseas territory",
    "GLP": "Guadeloupe: French overseas department",
    "GRL": "Greenland: autonomous territory of Denmark",
    "GUF": "French Guiana: French overseas department",
    "GUM": "Guam: US territory",
    "HKG": "Hong Kong: special administrative region of China (the data's 'City of Victoria' is obsolete)",
    "HMD": "Heard Island and McDonald Islands: uninhabited Australian territory",
    "IMN": "Isle of Man: British Crown dependency",
    "IOT": "British Indian Ocean Territory: British overseas territory",
    "JEY": "Jersey: British Crown dependency",
    "MAC": "Macau: special administrative region of China; no capital in the data",
    "MAF": "Saint Martin: French overseas collectivity",
    "MNP": "Northern Mariana Islands: US commonwealth",
    "MSR": "Montserrat: British overseas territory (capital Plymouth abandoned since 1997)",
    "MTQ": "Martinique: French overseas department",
    "MYT": "Mayotte: French overseas department",
    "NCL": "New Caledonia: French special collectivity",
    "NFK": "Norfolk Island: Australian territory",
    "NIU": "Niue: self-governing in free association with New Zealand, not a UN member",
    "PCN": "Pitcairn Islands: British overseas territory",
    "PRI": "Puerto Rico: US territory",
    "PYF": "French Polynesia: French overseas collectivity",
    "REU": "Réunion: French overseas department",
    "SCG": "Serbia and Montenegro: dissolved in 2006",
    "SGS": "South Georgia and the South Sandwich Islands: British overseas territory",
    "SHN": "Saint Helena: British overseas territory",
    "SJM": "Svalbard and Jan Mayen: Norwegian territories",
    "SPM": "Saint Pierre and Miquelon: French overseas collectivity",
    "SXM": "Sint Maarten: constituent country of the Kingdom of the Netherlands",
    "TCA": "Turks and Caicos Islands: British overseas territory",
    "TKL": "Tokelau: New Zealand territory (no fixed capital)",
    "UMI": "United States Minor Outlying Islands: no capital, US territory",
    "VGB": "British Virgin Islands: British overseas territory",
    "VIR": "US Virgin Islands: US territory",
    "WLF": "Wallis and Futuna: French overseas collectivity",
}

#: Countries left out because the capital or the statehood is disputed: alpha-3 -> reason.
DROPPED: dict[str, str] = {
    "ISR": "disputed: Israel designates Jerusalem, which most states do not recognise as its capital",
    "PSE": "disputed: Palestine claims East Jerusalem; its government sits in Ramallah",
    "ESH": "disputed territory (Morocco / Sahrawi Republic), not a UN member; El Aaiún's status disputed",
    "YEM": "disputed: Sana'a is the constitutional capital but held by the Houthis; the recognised "
    "government sits in Aden",
    "TWN": "statehood disputed (not a UN member); the ROC names no de jure capital (Taipei is the seat)",
}

#: Accepted answers that differ from the package's single capital: alpha-3 -> (answers, status, reason).
OVERRIDES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "BOL": (("Sucre", "La Paz"), "plural", "Sucre is the constitutional capital, La Paz the seat of government"),
    "ZAF": (("Pretoria", "Cape Town", "Bloemfontein"), "plural",
            "three capitals: Pretoria (executive), Cape Town (legislative), Bloemfontein (judicial)"),
    "NLD": (("Amsterdam", "The Hague"), "plural",
            "Amsterdam is the constitutional capital, The Hague the seat of government"),
    "BEN": (("Porto-Novo", "Cotonou"), "plural", "Porto-Novo is the official capital, Cotonou the seat of government"),
    "CIV": (("Yamoussoukro", "Abidjan"), "plural",
            "Yamoussoukro is the official capital, Abidjan the economic capital hosting most ministries"),
    "MYS": (("Kuala Lumpur", "Putrajaya"), "plural",
            "Kuala Lumpur is the official capital, Putrajaya the administrative capital"),
    "LKA": (("Sri Jayawardenepura Kotte", "Kotte", "Colombo"), "plural",
            "Sri Jayawardenepura Kotte is the legislative capital, Colombo the executive and judicial capital"),
    "SWZ": (("Mbabane", "Lobamba"), "plural",
            "Mbabane is the administrative capital, Lobamba the legislative and royal capital "
            "(the package lists only Lobamba)"),
    "BDI": (("Gitega", "Bujumbura"), "plural",
            "Gitega has been the political capital since 2019, Bujumbura the economic capital "
            "(the package lists only Bujumbura)"),
    "GNQ": (("Malabo", "Ciudad de la Paz", "Oyala"), "plural",
            "the capital is being moved from Malabo to the new city of Ciudad de la Paz (Oyala)"),
    "CHE": (("Bern", "Berne"), "de_facto", "Switzerland has no de jure capital; Bern is the 'federal city'"),
    "NRU": (("Yaren",), "de_facto", "Nauru has no official capital; government offices are in Yaren District"),
    "KAZ": (("Astana", "Nur-Sultan"), "corrected",
            "renamed back from Nur-Sultan to Astana in 2022 (the package still says Nur-Sultan)"),
}

#: Documented alternative names, accepted besides the capital: alpha-3 -> names.
ALIASES: dict[str, tuple[str, ...]] = {
    "USA": ("Washington", "Washington DC", "Washington, D.C."),
    "UKR": ("Kiev",),
    "MEX": ("Ciudad de México", "CDMX"),
    "MMR": ("Nay Pyi Taw", "Naypyitaw"),
    "MNG": ("Ulan Bator",),
    "TKM": ("Ashkhabad",),
    "VNM": ("Ha Noi",),
    "KIR": ("Tarawa",),
    "PLW": ("Melekeok",),
    "GTM": ("Guatemala",),
    "PAN": ("Panama",),
    "KWT": ("Kuwait",),
    "DJI": ("Djibouti City",),
    "LUX": ("Luxembourg City",),
    "SMR": ("San Marino",),
    "VAT": ("Vatican",),
    "MCO": ("Monaco-Ville",),
    "SGP": ("Singapore City",),
    "TTO": ("Port-of-Spain",),
    "MDV": ("Male",),
}

#: Notes on kept countries whose answer might surprise: alpha-3 -> note (no change to the answers).
NOTES: dict[str, str] = {
    "IND": "New Delhi only: Delhi is the territory that contains the capital",
    "TZA": "Dodoma only: the official capital since 1996, where the government has moved; Dar es Salaam is the former capital",
    "MNE": "Podgorica only: Cetinje's constitutional title 'Old Royal Capital' is honorary",
    "IDN": "Jakarta only: Nusantara is the designated future capital, not yet in effect",
    "SDN": "Khartoum only: the de jure capital, though the government has worked from Port Sudan since 2023",
}

#: How the country is named in the prompt when the package's name reads badly or is outdated.
DISPLAY_NAMES: dict[str, str] = {
    "SWZ": "Eswatini",
    "MKD": "North Macedonia",
    "GEO": "Georgia (the country)",
    "VAT": "Vatican City",
    "BHS": "the Bahamas",
    "GMB": "the Gambia",
}
#: Countries whose English name takes "the".
WITH_ARTICLE = frozenset(
    {"USA", "GBR", "ARE", "NLD", "PHL", "CZE", "DOM", "CAF", "COD", "COG", "MDV", "MHL", "SLB", "COM",
     "SYC", "FSM"}
)

_SAINT = re.compile(r"^(saint|st)\b\s*")


def _match_forms(name: str) -> set[str]:
    """Normalized forms of an accepted name, with "Saint"/"St." spellings interchangeable."""
    base = normalize_text(name)
    forms = {base}
    if _SAINT.match(base):
        rest = _SAINT.sub("", base)
        forms |= {f"saint {rest}", f"st {rest}"}
    return forms


def _build(countries: dict[str, Any], template: str = PROMPT_TEMPLATE) -> tuple[list[TaskItem], dict[str, str]]:
    """Items from the package records, and every excluded record's reason."""
    items: dict[str, TaskItem] = {}
    excluded: dict[str, str] = {}
    for key, record in sorted(countries.items()):
        if key in SKIPPED_ENTRIES:
            excluded[record["name"]] = SKIPPED_ENTRIES[key]
            continue
        code = (record.get("ISO") or {}).get("alpha3") or ""
        if not code:
            raise ValueError(f"countryinfo record {key!r} has no ISO alpha-3 code; add it to SKIPPED_ENTRIES")
        if code in NOT_SOVEREIGN or code in DROPPED:
            excluded[code] = NOT_SOVEREIGN.get(code) or DROPPED[code]
            continue
        if code in items:
            raise ValueError(f"countryinfo has two records for {code}; add one to SKIPPED_ENTRIES")
        capital = record.get("capital")
        if isinstance(capital, list):
            capital = capital[0] if len(capital) == 1 else None
        if code in OVERRIDES:
            answers, status, note = OVERRIDES[code]
        else:
            if not isinstance(capital, str) or not capital.strip():
                raise ValueError(f"countryinfo gives {code} no single capital ({capital!r}); add a decision for it")
            answers, status, note = (capital.strip(),), "official", NOTES.get(code, "")
        answers = tuple(dict.fromkeys((*answers, *ALIASES.get(code, ()))))
        name = DISPLAY_NAMES.get(code) or (f"the {record['name']}" if code in WITH_ARTICLE else record["name"])
        items[code] = TaskItem(
            prompt_id=code,
            prompt=template.format(country=name),
            answers=answers,
            meta={
                "question": QUESTION_TEMPLATE.format(country=name),
                "country": record["name"],
                "capital": answers[0],
                "capital_status": status,
                "note": note,
                "region": record.get("region") or "",
                "population": record.get("population"),
            },
        )
    return [items[c] for c in sorted(items)], excluded


_COUNTRIES: dict[str, Any] = require("countryinfo", "tasks", "the capitals task").CountryInfo.all()
ITEMS, EXCLUDED = _build(_COUNTRIES)

_PREFIXES = re.compile(
    r"^(?:(?:the\s+)?(?:final\s+)?answer\b\s*(?:is)?\s*[:\-]?\s*"
    r"|(?:the\s+)?capital(?:\s+city)?(?:\s+of\s+.+?)?\s+is\s+(?:the\s+city\s+of\s+)?"
    r"|.+?(?:'s|\u2019s)\s+capital(?:\s+city)?\s+is\s+"
    r"|it\s*(?:is|'s)\s+|capital\s*:\s*)",
    re.IGNORECASE,
)
_INVERTED = re.compile(r"^(.+?)\s+is\s+(?:the\s+)?capital\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[a-z\u00e0-\u00ff]{3})[.!?;](?:\s|$)|\s\(|\n")


def extract_city(response: str) -> str | None:
    """The city a response names: its first non-empty line, without lead-ins such as "The capital
    of France is" / "Answer:", cut at the end of the first sentence, stripped of markdown, quotes and
    trailing punctuation. ``None`` if nothing is left."""
    lines = [ln.strip() for ln in response.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    text = re.sub(r"[*_`#>]+", "", lines[0]).strip()
    for _ in range(2):
        text = _PREFIXES.sub("", text).strip()
    inverted = _INVERTED.match(text)  # "Paris is the capital of France."
    if inverted:
        text = inverted.group(1)
    cut = _SENTENCE_END.search(text)
    if cut:
        text = text[: cut.start()]
    text = text.strip().strip("\"'“”‘’").rstrip(".,;:!?").strip()
    return text or None


class CapitalsTask(Task):
    """The capitals task (module docstring). ``include_marked=False`` keeps only countries with one
    undisputed capital (status ``"official"`` or ``"corrected"``); ``style`` picks the prompt
    (``"instruction"`` or ``"fewshot"``)."""

    def __init__(self, include_marked: bool = True, style: str = "instruction") -> None:
        if style not in STYLES:
            raise ValueError(f"style must be one of {sorted(STYLES)}; got {style!r}")
        self.include_marked = include_marked
        self.style = style
        self.name = "capitals" + ("" if include_marked else "_strict") + ("" if style == "instruction" else f"_{style}")
        items = ITEMS if style == "instruction" else _build(_COUNTRIES, STYLES[style])[0]
        self._items = [
            it for it in items
            if include_marked or it.meta["capital_status"] in ("official", "corrected")
        ]
        self._forms = {it.prompt_id: set().union(*(_match_forms(a) for a in it.answers)) for it in self._items}
        self.excluded = MappingProxyType(EXCLUDED)

    def items(self) -> list[TaskItem]:
        return list(self._items)

    def extract_answer(self, response: str) -> str | None:
        return extract_city(response)

    def answer_key(self, answer: str) -> str:
        forms = _match_forms(answer)
        return min(forms)  # "St. George's" and "Saint George's" vote together

    def is_correct(self, answer: str, item: TaskItem) -> bool:
        """Normalized match against the accepted names; "City, Country" also counts."""
        accepted = self._forms.get(item.prompt_id) or set().union(*(_match_forms(a) for a in item.answers))
        candidates = _match_forms(answer)
        head, sep, tail = answer.rpartition(",")
        if sep and normalize_text(tail) in {normalize_text(item.meta.get("country", "")),
                                            normalize_text(item.prompt_id)}:
            candidates |= _match_forms(head)
        return bool(candidates & accepted)

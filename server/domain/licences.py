"""The open licences a charter's published text may be released under."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    id: str  # SPDX identifier
    name: str
    url: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "url": self.url}


LICENCES: dict[str, Licence] = {
    licence.id: licence
    for licence in (
        Licence(
            "CC-BY-4.0",
            "Creative Commons Attribution 4.0 International",
            "https://creativecommons.org/licenses/by/4.0/",
        ),
        Licence(
            "CC-BY-SA-4.0",
            "Creative Commons Attribution-ShareAlike 4.0 International",
            "https://creativecommons.org/licenses/by-sa/4.0/",
        ),
        Licence(
            "CC0-1.0",
            "Creative Commons Zero 1.0 (domaine public)",
            "https://creativecommons.org/publicdomain/zero/1.0/",
        ),
        Licence(
            "etalab-2.0",
            "Licence Ouverte / Open Licence 2.0 (Etalab)",
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        ),
        Licence(
            "ODbL-1.0",
            "Open Database License 1.0",
            "https://opendatacommons.org/licenses/odbl/1-0/",
        ),
    )
}


def licence_of(licence_id: str) -> Licence:
    """The licence behind an id; an id stored before this list existed is shown as is."""
    return LICENCES.get(licence_id) or Licence(licence_id, licence_id, "")

"""The form fields the queue's filters and the detail's forms share, in the operator's
language: dropdowns (with Dash's own words translated) and their options."""

from __future__ import annotations

from dash import dcc

from dashboard.i18n import category_label, department_label, t
from ioc.city import load_city
from ioc.taxonomy import load_taxonomy


def _dd_labels(lang: str) -> dict:
    """The dropdown's own words (its search box, "nothing found"…), which Dash says in English."""
    return {key: t(f"dd.{key}", lang) for key in ("search", "clear_search", "clear_selection",
                                                  "no_options_found")}


def dropdown(dd_id: str, placeholder: str, options: list, lang: str, value=None,
             **props) -> dcc.Dropdown:
    """A filter: searchable, clearable."""
    props = {"clearable": True, "searchable": True, **props}
    return dcc.Dropdown(id=dd_id, options=options, value=value, placeholder=placeholder,
                        className="dd", labels=_dd_labels(lang), **props)


def select(dd_id: str, placeholder: str, options: list, lang: str) -> dcc.Dropdown:
    """A form's choice: small, clearable."""
    return dcc.Dropdown(id=dd_id, options=options, placeholder=placeholder, clearable=True,
                        className="dd dd-small", labels=_dd_labels(lang))


def taxonomy_options(lang: str) -> tuple[list, list]:
    """(categories, departments), each sorted by its name in `lang`."""
    tax = load_taxonomy()
    cats = sorted(({"label": category_label(c.code, lang), "value": c.code}
                   for c in tax.categories), key=lambda o: o["label"])
    deps = sorted(({"label": department_label(d.code, lang), "value": d.code}
                   for d in tax.departments), key=lambda o: o["label"])
    return cats, deps


def ward_options(lang: str) -> list:
    """The city's wards and communes (reference data shipped with the core, the same file the
    API serves): known when the page is built, so a ward chosen in the URL is never dropped."""
    wards = load_city().wards
    return sorted(({"label": t(f"ward.kind.{w.kind}", lang, name=w.name), "value": w.slug}
                   for w in wards), key=lambda o: o["label"])


def urgency_options(lang: str) -> list:
    return [{"label": t("report.urgent", lang), "value": "urgent"},
            {"label": t("report.normal", lang), "value": "normal"}]

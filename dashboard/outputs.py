"""A callback's outputs by name: Dash's dict grouping (`@app.callback(output={...})`), so a
callback says what it sets by name instead of by its place in a long tuple."""

from __future__ import annotations

from dash import no_update


def answer(outputs: dict, **values: object) -> dict:
    """What a callback with these named `outputs` returns: the `values` given, and `no_update`
    for every output not named. A group of outputs (a dict of them) may be given whole, in
    part, or not at all."""
    unknown = values.keys() - outputs.keys()
    if unknown:
        raise KeyError(f"no output named {sorted(unknown)}; there are {sorted(outputs)}")
    filled = {}
    for name, output in outputs.items():
        value = values.get(name, no_update)
        if isinstance(output, dict):
            value = answer(output, **({} if value is no_update else value))
        filled[name] = value
    return filled

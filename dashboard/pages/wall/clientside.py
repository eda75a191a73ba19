"""What the wall does in the browser, with no server round trip: rotating its pages in kiosk
mode, "updated N s ago" ticking every second with the banner that turns the wall stale, and
the scale its charts are drawn at (1 at 1920×1080, 2 at 3840×2160).

Stale: no new data for more than STALE_AFTER_S, or the API unreachable. The age is the API's
`now` minus the data's newest timestamp (`data_as_of`), in wall seconds (divided by the
scenario's speed), plus the time since that timestamp last moved, measured in the browser; so
the wall turns stale whether the data stops, the API stops answering or the dashboard itself
does, and it recovers by itself on the next good answer (it keeps polling)."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from dashboard.i18n import t

STALE_AFTER_S = 30
ROTATE_S = 20  # kiosk: seconds per page
PAGES = ("reports", "city", "trends")

_ROTATE = """
function (_n, _t0, _t1, _t2, state) {
    const count = %(count)d;
    let index = (state && state.index) || 0;
    const trig = window.dash_clientside.callback_context.triggered_id;
    if (typeof trig === "string" && trig.indexOf("wall-tab-") === 0) {
        index = Number(trig.slice(9));
    } else if (trig === "wall-rotate") {
        index = (index + 1) %% count;
    }
    const out = [{index: index}];
    for (let i = 0; i < count; i++) { out.push("wall-page" + (i === index ? " active" : "")); }
    for (let i = 0; i < count; i++) { out.push("wall-tab" + (i === index ? " active" : "")); }
    return out;
}
"""

_TICK = """
function (_n, fresh, words, clockConfig) {
    const W = window.__iocWall = window.__iocWall || {};
    const keep = window.dash_clientside.no_update;
    words = words || {};
    if (fresh && fresh.polled !== W.polled) {  // a new answer (or a failed poll)
        W.polled = fresh.polled;
        W.ok = fresh.ok;
        if (fresh.ok && (fresh.data_at !== W.dataAt || W.changed === undefined)) {
            W.dataAt = fresh.data_at;
            W.changed = Date.now();
            W.lag0 = (fresh.data_at && fresh.now)
                ? Math.max(0, (Date.parse(fresh.now) - Date.parse(fresh.data_at))
                              / 1000 / (fresh.speed || 1))
                : null;
        }
    }
    function ago(s) {
        const n = Math.floor(s);
        if (n < 60) { return words.age_s.replace("{n}", n); }
        if (n < 3600) { return words.age_m.replace("{n}", Math.floor(n / 60)); }
        return words.age_h.replace("{n}", Math.floor(n / 3600));
    }
    let text, banner = "", state = "fresh";
    const age = (W.dataAt && W.lag0 !== null && W.changed !== undefined)
        ? W.lag0 + (Date.now() - W.changed) / 1000 : null;
    if (W.polled === undefined) {
        text = words.waiting;
    } else if (age === null) {
        text = words.never; banner = W.ok === false ? words.down_never : words.never_banner;
        state = W.ok === false ? "down" : "stale";
    } else {
        text = words.updated.replace("{age}", ago(age));
        if (W.ok === false) {
            banner = words.down.replace("{age}", ago(age)); state = "down";
        } else if (age > words.stale_after_s) {
            banner = words.stale.replace("{age}", ago(age)); state = "stale";
        }
    }
    let clock = "";
    const at = (window.IOC && window.IOC.clock && window.IOC.clock.now()) || Date.now();
    const tz = (clockConfig && clockConfig.tz) || "Asia/Ho_Chi_Minh";
    try {
        clock = new Intl.DateTimeFormat("en-GB", {timeZone: tz, hour: "2-digit",
            minute: "2-digit", second: "2-digit", hourCycle: "h23"}).format(new Date(at));
    } catch (e) { clock = ""; }
    const out = [text, "wall-updated is-" + state, banner, banner === "",
                 "wall-banner is-" + state, "wall-body" + (state === "fresh" ? "" : " stale"),
                 clock];
    const last = W.shown || [];
    W.shown = out;
    return out.map(function (v, i) { return v === last[i] ? keep : v; });
}
"""

_SCALE = """
function (_id) {
    const s = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    return Math.max(0.5, Math.round(s * 100) / 100);
}
"""


def words(lang: str) -> dict:
    """The texts and limits the browser's tick needs, in the page's language."""
    return {"lang": lang, "stale_after_s": STALE_AFTER_S,
            "age_s": t("wall.age.s", lang), "age_m": t("wall.age.m", lang),
            "age_h": t("wall.age.h", lang), "updated": t("wall.updated", lang),
            "waiting": t("data.waiting", lang), "never": t("data.none", lang),
            "never_banner": t("wall.banner.never", lang), "stale": t("wall.banner.stale", lang),
            "down": t("wall.banner.down", lang), "down_never": t("wall.banner.down_never", lang)}


def page_index(page: str | None) -> int:
    """?page=2 or ?page=city (1-based numbers, or the page's name); the first otherwise."""
    if page in PAGES:
        return PAGES.index(page)
    if page and page.isdigit() and 1 <= int(page) <= len(PAGES):
        return int(page) - 1
    return 0


def rotate_ms(rotate: str | None) -> int:
    """?rotate=N: seconds per page in kiosk mode, 5 to 300 (default ROTATE_S)."""
    try:
        seconds = float(rotate) if rotate else ROTATE_S
    except ValueError:
        seconds = ROTATE_S
    return int(1000 * min(300, max(5, seconds)))


def register(app: Dash) -> None:
    app.clientside_callback(
        _ROTATE % {"count": len(PAGES)},
        [Output("wall-page", "data"),
         *[Output(f"wall-page-{name}", "className") for name in PAGES],
         *[Output(f"wall-tab-{i}", "className") for i in range(len(PAGES))]],
        [Input("wall-rotate", "n_intervals"),
         *[Input(f"wall-tab-{i}", "n_clicks") for i in range(len(PAGES))]],
        [State("wall-page", "data")])
    app.clientside_callback(
        _TICK,
        [Output("wall-updated", "children"), Output("wall-updated", "className"),
         Output("wall-banner", "children"), Output("wall-banner", "hidden"),
         Output("wall-banner", "className"), Output("wall-body", "className"),
         Output("wall-clock", "children")],
        [Input("wall-second", "n_intervals"), Input("wall-fresh", "data")],
        [State("wall-words", "data"), State("clock-config", "data")])
    app.clientside_callback(_SCALE, Output("wall-scale", "data"), Input("wall-root", "id"))

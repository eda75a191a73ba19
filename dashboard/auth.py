"""Sign-in in the header: a small form in a dialog, the token kept for the browser tab only
(`dcc.Store(id="auth", storage_type="session")`), who is signed in, and sign-out.

Reading needs no sign-in; acting on a report sends the token to the API, which decides.
The password goes to the API once and is never stored or logged by the dashboard.
"""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update

from dashboard.api import ApiUnavailable, Refusal
from dashboard.context import Context
from dashboard.i18n import DEFAULT_LANG, LANGS, t

ROLES = ("operator", "admin", "leader", "engineer")


def store() -> dcc.Store:
    return dcc.Store(id="auth", storage_type="session")


def header_widget() -> html.Div:
    lang = DEFAULT_LANG
    dialog = html.Div(html.Div([
        html.H2(t("auth.title", lang), id="auth-title", className="modal-title"),
        html.Label([html.Span(t("auth.username", lang), id="auth-username-label"),
                    dcc.Input(id="auth-username", type="text", autoComplete="username",
                              debounce=False, className="text-input")], className="field"),
        html.Label([html.Span(t("auth.password", lang), id="auth-password-label"),
                    dcc.Input(id="auth-password", type="password", n_submit=0,
                              autoComplete="current-password", className="text-input")],
                   className="field"),
        html.Div(id="auth-error", className="form-error", role="alert"),
        html.Div([
            html.Button(t("auth.cancel", lang), id="auth-cancel", n_clicks=0,
                        className="btn btn-ghost", type="button"),
            html.Button(t("auth.signin", lang), id="auth-submit", n_clicks=0,
                        className="btn btn-primary", type="button"),
        ], className="modal-actions"),
    ], className="modal-card", role="dialog", **{"aria-modal": "true",
                                                 "aria-labelledby": "auth-title"}),
        id="auth-modal", className="modal", hidden=True)
    return html.Div([
        html.Button(html.Span(t("auth.signin", lang), id="auth-open-label"),
                    id="auth-open", n_clicks=0, className="btn btn-signin", type="button"),
        html.Div([html.Span("●", className="auth-icon", **{"aria-hidden": "true"}),
                  html.Span(id="auth-user", className="auth-user")],
                 id="auth-who", className="auth-who", hidden=True),
        html.Button(t("auth.signout", lang), id="auth-signout", n_clicks=0,
                    className="btn btn-ghost btn-small", type="button", hidden=True),
        dialog,
    ], id="auth-area", className="auth-area")


def register_callbacks(app: Dash, ctx: Context) -> None:
    @app.callback(
        Output("auth-title", "children"), Output("auth-username-label", "children"),
        Output("auth-password-label", "children"), Output("auth-cancel", "children"),
        Output("auth-submit", "children"), Output("auth-open-label", "children"),
        Output("auth-signout", "children"), Input("lang", "data"))
    def translate(lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        return (t("auth.title", lang), t("auth.username", lang), t("auth.password", lang),
                t("auth.cancel", lang), t("auth.signin", lang), t("auth.signin", lang),
                t("auth.signout", lang))

    app.clientside_callback(
        ClientsideFunction("ioc", "toggleModal"), Output("auth-modal", "hidden"),
        Input("auth-open", "n_clicks"), Input("auth-cancel", "n_clicks"), Input("auth", "data"),
        prevent_initial_call=True)

    @app.callback(
        Output("auth", "data"), Output("auth-error", "children"),
        Output("auth-password", "value"),
        Input("auth-submit", "n_clicks"), Input("auth-password", "n_submit"),
        State("auth-username", "value"), State("auth-password", "value"), State("lang", "data"),
        prevent_initial_call=True)
    def sign_in(_clicks, _submits, username, password, lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        if not (username or "").strip() or not password:
            return no_update, t("auth.missing", lang), no_update
        try:
            got = ctx.api.login(username.strip(), password)
        except ApiUnavailable:
            return no_update, t("data.unavailable", lang), ""
        if isinstance(got, Refusal):
            words = (t("auth.wrong", lang) if got.status_code == 401
                     else f"{t('auth.refused', lang)}: {got.detail}")
            return no_update, words, ""
        return ({"token": got["token"], "username": got["username"], "role": got["role"]},
                "", "")

    @app.callback(Output("auth", "data", allow_duplicate=True),
                  Input("auth-signout", "n_clicks"), prevent_initial_call=True)
    def sign_out(_n):
        return None

    @app.callback(
        Output("auth-open", "hidden"), Output("auth-who", "hidden"),
        Output("auth-signout", "hidden"), Output("auth-user", "children"),
        Output("auth-who", "title"),
        Input("auth", "data"), Input("lang", "data"))
    def show_who(auth, lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        if not signed_in(auth):
            return False, True, True, "", ""
        role = auth.get("role")
        role_word = t(f"role.{role}", lang) if role in ROLES else str(role)
        return (True, False, False, [html.B(str(auth["username"])), f" · {role_word}"],
                t("auth.signed_in_as", lang, user=auth["username"]))


def signed_in(auth: object) -> bool:
    return isinstance(auth, dict) and bool(auth.get("token"))

"""Sign-in in the header: a small form in a dialog, the token kept for the browser tab only
(`dcc.Store(id="auth", storage_type="session")`), who is signed in, and sign-out.

Reading needs no sign-in; acting on a report sends the token to the API, which decides.
The password goes to the API once and is never stored or logged by the dashboard.
"""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html
from pydantic import ValidationError

from dashboard.api import ApiUnavailable, Refusal
from dashboard.context import Context
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.outputs import answer
from ioc.api.models import SignedIn

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


# The dialog's words: the header is built once, in Vietnamese, and translated in place.
WORDS = {"auth-title": "auth.title", "auth-username-label": "auth.username",
         "auth-password-label": "auth.password", "auth-cancel": "auth.cancel",
         "auth-submit": "auth.signin", "auth-open-label": "auth.signin",
         "auth-signout": "auth.signout"}
SIGN_IN = {"auth": Output("auth", "data"), "error": Output("auth-error", "children"),
           "password": Output("auth-password", "value")}
WHO = {"signin_hidden": Output("auth-open", "hidden"), "who_hidden": Output("auth-who", "hidden"),
       "signout_hidden": Output("auth-signout", "hidden"),
       "user": Output("auth-user", "children"), "title": Output("auth-who", "title")}


def register_callbacks(app: Dash, ctx: Context) -> None:
    @app.callback(output={el: Output(el, "children") for el in WORDS},
                  inputs={"lang": Input("lang", "data")})
    def translate(lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        return {el: t(key, lang) for el, key in WORDS.items()}

    app.clientside_callback(
        ClientsideFunction("ioc", "toggleModal"), Output("auth-modal", "hidden"),
        Input("auth-open", "n_clicks"), Input("auth-cancel", "n_clicks"), Input("auth", "data"),
        prevent_initial_call=True)

    @app.callback(output=SIGN_IN,
                  inputs={"_clicks": Input("auth-submit", "n_clicks"),
                          "_submits": Input("auth-password", "n_submit")},
                  state={"username": State("auth-username", "value"),
                         "password": State("auth-password", "value"),
                         "lang": State("lang", "data")},
                  prevent_initial_call=True)
    def sign_in(_clicks, _submits, username, password, lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        if not (username or "").strip() or not password:
            return answer(SIGN_IN, error=t("auth.missing", lang))
        try:
            got = ctx.api.login(username.strip(), password)
        except ApiUnavailable:
            return answer(SIGN_IN, error=t("data.unavailable", lang), password="")
        if isinstance(got, Refusal):
            words = (t("auth.wrong", lang) if got.status_code == 401
                     else f"{t('auth.refused', lang)}: {got.detail}")
            return answer(SIGN_IN, error=words, password="")
        return answer(SIGN_IN, auth=got.model_dump(mode="json"), error="", password="")

    @app.callback(output=Output("auth", "data", allow_duplicate=True),
                  inputs={"_n": Input("auth-signout", "n_clicks")}, prevent_initial_call=True)
    def sign_out(_n):
        return None

    @app.callback(output=WHO, inputs={"auth": Input("auth", "data"), "lang": Input("lang", "data")})
    def show_who(auth, lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        who = session(auth)
        if who is None:
            return answer(WHO, signin_hidden=False, who_hidden=True, signout_hidden=True,
                          user="", title="")
        role_word = t(f"role.{who.role}", lang) if who.role in ROLES else who.role
        return answer(WHO, signin_hidden=True, who_hidden=False, signout_hidden=False,
                      user=[html.B(who.username), f" · {role_word}"],
                      title=t("auth.signed_in_as", lang, user=who.username))


def session(auth: object) -> SignedIn | None:
    """Who the browser tab's auth store says is signed in (the API's sign-in answer, as it was
    stored), or None: signed out, or a store that is not one."""
    try:
        who = SignedIn.model_validate(auth)
    except ValidationError:
        return None
    return who if who.token else None


def signed_in(auth: object) -> bool:
    return session(auth) is not None

"""What the operator does to the open report: the quick actions (acknowledge, resolve, close,
reopen) and the forms (respond, assign, override, reject), sent to the API as the signed-in
operator; the API's answer or refusal is said in the operator's language."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from dash import Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from dashboard import report_view as rv
from dashboard.api import ApiUnavailable, Refusal
from dashboard.auth import session
from dashboard.context import Context
from dashboard.display import local_time
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.outputs import answer
from dashboard.pages.control import fields
from ioc.events import ReportAction
from ioc.lifecycle import REJECT_REASONS

QUICK_ACTIONS = (ReportAction.ACKNOWLEDGE, ReportAction.RESOLVE, ReportAction.CLOSE,
                 ReportAction.REOPEN)
FORM_ACTIONS = (ReportAction.RESPOND, ReportAction.ASSIGN, ReportAction.OVERRIDE,
                ReportAction.REJECT)  # rating is the citizen's
ACTIONS = QUICK_ACTIONS + FORM_ACTIONS


def button(action: str, lang: str, kind: str = "") -> html.Button:
    return html.Button(t(f"act.{action}", lang), id=f"act-{action}", n_clicks=0,
                       type="button", className=f"btn act-btn {kind}".strip(), disabled=True)


def quick_buttons(lang: str) -> html.Div:
    return html.Div([button(a, lang, "btn-primary" if a == ReportAction.ACKNOWLEDGE else "")
                     for a in QUICK_ACTIONS], className="quick-actions")


def forms(lang: str) -> html.Div:
    cats, deps = fields.taxonomy_options(lang)
    reasons = [{"label": t(f"reason.{r}", lang), "value": r} for r in REJECT_REASONS]

    def block(label: str, *row) -> html.Div:
        return html.Div([html.Div(label, className="form-label"),
                         html.Div(list(row), className="form-row")], className="form-block")

    return html.Div([
        html.Div([
            html.Label(t("form.response", lang), htmlFor="form-response", className="form-label"),
            dcc.Textarea(id="form-response", className="textarea", value="",
                         placeholder=t("form.response.placeholder", lang), maxLength=4000),
            html.Div(button("respond", lang, "btn-primary"), className="form-row end"),
        ], className="form-block"),
        # Less frequent actions fold away; they open by themselves when triage needs a check.
        html.Details([
            html.Summary(t("detail.more", lang), className="form-summary"),
            block(t("act.assign", lang),
                  fields.select("form-department", t("filter.department", lang), deps, lang),
                  dcc.Input(id="form-assignee", type="text", maxLength=64,
                            placeholder=t("form.assignee", lang), className="text-input"),
                  button("assign", lang)),
            block(t("act.override", lang),
                  fields.select("form-urgency", t("filter.urgency", lang),
                                fields.urgency_options(lang), lang),
                  fields.select("form-category", t("filter.category", lang), cats, lang),
                  fields.select("form-odepartment", t("filter.department", lang), deps, lang),
                  button("override", lang)),
            block(t("act.reject", lang),
                  fields.select("form-reason", t("form.reason", lang), reasons, lang),
                  button("reject", lang, "btn-danger")),
        ], id="more-actions", className="more-actions"),
    ], className="detail-forms")


FORM = {"response": State("form-response", "value"),
        "department": State("form-department", "value"),
        "assignee": State("form-assignee", "value"), "urgency": State("form-urgency", "value"),
        "category": State("form-category", "value"),
        "odepartment": State("form-odepartment", "value"),
        "reason": State("form-reason", "value")}
RESET = {"feedback": Output("action-feedback", "children", allow_duplicate=True),
         "feedback_css": Output("action-feedback", "className", allow_duplicate=True),
         "response": Output("form-response", "value", allow_duplicate=True),
         "department": Output("form-department", "value"),
         "assignee": Output("form-assignee", "value"), "urgency": Output("form-urgency", "value"),
         "category": Output("form-category", "value"),
         "odepartment": Output("form-odepartment", "value"),
         "reason": Output("form-reason", "value")}
ACT = {"feedback": Output("action-feedback", "children"),
       "feedback_css": Output("action-feedback", "className"),
       "done": Output("action-done", "data"), "response": Output("form-response", "value"),
       "auth": Output("auth", "data", allow_duplicate=True)}


def request_body(action: str, form: dict) -> dict | str:
    """What the API is sent for `action` from the form, or the i18n key of what is missing."""
    text = (form["response"] or "").strip()
    assignee = (form["assignee"] or "").strip()
    if action == ReportAction.RESPOND:
        return {"action": action, "note": text} if text else "form.need_response"
    if action == ReportAction.ASSIGN:
        if not (form["department"] or assignee):
            return "form.need_assign"
        return {"action": action, "department": form["department"],
                "assignee": assignee or None}
    if action == ReportAction.OVERRIDE:
        if not (form["urgency"] or form["category"] or form["odepartment"]):
            return "form.need_override"
        return {"action": action, "urgency": form["urgency"], "category": form["category"],
                "department": form["odepartment"]}
    if action == ReportAction.REJECT:
        return {"action": action, "reason": form["reason"]} if form["reason"] else \
            "form.need_reason"
    return {"action": action}


def register(app: Dash, ctx: Context) -> None:
    @app.callback(output=RESET, inputs={"_selected": Input("queue-selected", "data")},
                  prevent_initial_call=True)
    def reset_forms(_selected):  # another report: its own empty forms
        return answer(RESET, feedback="", feedback_css="feedback", response="", department=None,
                      assignee="", urgency=None, category=None, odepartment=None, reason=None)

    @app.callback(output=ACT,
                  inputs={"clicks": {a: Input(f"act-{a}", "n_clicks") for a in ACTIONS}},
                  state={"selected": State("queue-selected", "data"),
                         "auth": State("auth", "data"), "form": FORM,
                         "lang": State("lang", "data")},
                  prevent_initial_call=True)
    def act(clicks, selected, auth, form, lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        action = str(dash_ctx.triggered_id or "").removeprefix("act-")
        if action not in ACTIONS or not selected or not clicks.get(action):
            return no_update
        word = t(f"act.{action}", lang)

        def said(message: str, ok: bool = False, **more) -> dict:
            # stamped, so that an old message is not read as news
            return answer(ACT, feedback=f"{message} · {local_time(datetime.now(UTC), ctx.tz)}",
                          feedback_css="feedback ok" if ok else "feedback error", **more)

        who = session(auth)
        if who is None:
            return said(t("form.need_signin", lang, action=word.lower()))
        body = request_body(action, form)
        if isinstance(body, str):
            return said(t(body, lang))
        try:
            got = ctx.api.act(selected, who.token, **body)
        except ApiUnavailable:
            return said(t("data.unavailable", lang))
        if isinstance(got, Refusal):
            if got.status_code == 401:  # the token has expired: sign in again
                return said(t("auth.expired", lang), auth=None)
            return said(refusal_words(got, word, lang))
        done = (t("form.pending", lang, action=word) if got.outcome == "pending"
                else t("form.done", lang, action=word, status=rv.lifecycle_word(got.status, lang)))
        return said(done, ok=True, done={"event": str(got.event_id), "at": time.time()},
                    response="" if action == ReportAction.RESPOND else no_update)


def refusal_words(got: Refusal, action: str, lang: str) -> str:
    """The API's refusal in the operator's language where it is one we can word (the API's own
    English sentence otherwise: a validation message names the field to fix)."""
    if got.status_code == 403:
        return t("form.forbidden", lang, action=action.lower())
    if got.status_code == 409 and got.status:
        return t("form.refused_state", lang, action=action.lower(),
                 status=rv.lifecycle_word(got.status, lang))
    return t("form.refused", lang, code=got.status_code, detail=got.detail)

/* The operator's queue in the browser: the queue's rows and the new-report alert drawn from the
   server's element specs (keyed by report id, so an unchanged row is never touched), SLA
   countdowns that tick every second, opening a report with a click, Enter or the arrow keys
   (Esc closes it), and the alert's flash and short beep (made with the Web Audio API: no sound
   file is ever downloaded).

   Countdown spans are rendered empty by the server (dashboard/queue.py) with data-due, data-state,
   data-left and the text templates; only this file writes their text, so React never fights it. */
(function () {
  "use strict";

  const IOC = window.IOC = window.IOC || {};
  IOC.clock = null;          // {at: stream ms, wall: Date.now() then, speed}
  IOC.speed = 1;
  IOC.soundOn = true;
  IOC.audio = null;
  IOC.lastBeep = 0;
  IOC.baseTitle = null;
  IOC.selected = null;      // the open report's id, also kept in the queue-selected store
  IOC.alertStore = null;
  window.__iocBeeps = window.__iocBeeps || 0;

  /* ---- the stream's clock (DESIGN: Time): scenario "now" advanced at the scenario's speed */
  function streamNow() {
    const c = IOC.clock;
    return c ? c.at + (Date.now() - c.wall) * c.speed : null;
  }

  function anchor(atMs, speed) {
    if (isNaN(atMs)) { return; }
    if (speed) { IOC.speed = speed; }
    const now = streamNow();
    // Re-anchor only on a real jump, so network jitter never makes a countdown step backwards.
    if (now === null || Math.abs(now - atMs) > 1500 * IOC.speed) {
      IOC.clock = {at: atMs, wall: Date.now(), speed: IOC.speed};
    } else if (IOC.clock.speed !== IOC.speed) {
      IOC.clock = {at: now, wall: Date.now(), speed: IOC.speed};
    }
  }

  function two(n) { return String(n).padStart(2, "0"); }

  // Always h:mm:ss ("0:45:12"): with two fields, 45:12 could be read as hours and minutes.
  function hms(seconds) {
    const s = Math.floor(Math.abs(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    return h + ":" + two(m) + ":" + two(x);
  }

  function countdownText(el, now) {
    let left;
    if (el.dataset.frozen === "1" || now === null) {
      if (el.dataset.left === "" || el.dataset.left === undefined) { return ""; }
      left = Number(el.dataset.left);
      if (el.dataset.frozen !== "1") {  // no clock yet: the server's figure, not ticking
        return (left < 0 ? el.dataset.neg : el.dataset.pos).replace("{t}", hms(left));
      }
    } else {
      const due = Date.parse(el.dataset.due);
      if (isNaN(due)) { return ""; }
      left = (due - now) / 1000;
    }
    return (left < 0 ? el.dataset.neg : el.dataset.pos).replace("{t}", hms(left));
  }

  function tick() {
    const now = streamNow();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      const text = countdownText(el, now);
      if (el.textContent !== text) { el.textContent = text; }
      if (el.dataset.frozen !== "1" && now !== null) {
        const late = Date.parse(el.dataset.due) < now;
        if (late !== el.classList.contains("late")) { el.classList.toggle("late", late); }
      }
    });
  }

  let pending = false;
  function soon() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; tick(); });
  }

  /* ---- sound: allowed by browsers only after a user gesture, so it is unlocked on a click */
  function audio() {
    if (!IOC.audio) {
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) { return null; }
      IOC.audio = new AC();
    }
    return IOC.audio;
  }

  function unlock() {
    if (!IOC.soundOn) { return; }
    const ua = navigator.userActivation;
    if (!IOC.audio && ua && !ua.hasBeenActive) { refreshSoundButton(); return; }  // no gesture yet
    const ctx = audio();
    if (ctx && ctx.state === "suspended") { ctx.resume().then(refreshSoundButton); }
    refreshSoundButton();
  }

  function soundReady() {
    return IOC.soundOn && IOC.audio && IOC.audio.state === "running";
  }

  function beep() {
    if (!soundReady()) { return false; }
    const ctx = IOC.audio;
    let t0 = ctx.currentTime + 0.02;
    [880, 1320, 880].forEach(function (f) {
      const osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "triangle";
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(0.3, t0 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0);
      osc.stop(t0 + 0.18);
      t0 += 0.2;
    });
    window.__iocBeeps += 1;
    return true;
  }

  function refreshSoundButton() {
    const btn = document.getElementById("sound-toggle");
    if (!btn) { return; }
    const state = !IOC.soundOn ? "off" : (soundReady() ? "on" : "blocked");
    if (btn.dataset.state === state) { return; }
    btn.dataset.state = state;
    const label = btn.querySelector(".sound-label");
    const icon = btn.querySelector(".sound-icon");
    if (label) { label.textContent = btn.dataset["label" + state[0].toUpperCase() + state.slice(1)]; }
    if (icon) { icon.textContent = state === "on" ? "♪" : "⊘"; }
    btn.setAttribute("aria-pressed", state === "on" ? "true" : "false");
  }

  /* ---- lists drawn from element specs (dashboard/queue.py `spec`), keyed by report id */
  // What a row may be made of: the server sends nothing else, and anything else is refused here
  // too, so no tag or attribute can run code or load anything (citizen text is only ever text).
  const TAGS = new Set(["div", "span", "button", "strong", "em", "b", "i", "small", "p", "time",
    "abbr", "ul", "ol", "li", "label", "mark"]);
  const PLAIN = /^(class|tabindex|for|id|role|title|lang|dir|data-[a-z0-9-]+|aria-[a-z]+)$/;

  function build(spec) {
    if (typeof spec === "string") { return document.createTextNode(spec); }
    const el = document.createElement(TAGS.has(spec[0]) ? spec[0] : "span");
    const attrs = spec[1] || {};
    Object.keys(attrs).forEach(function (name) {
      if (PLAIN.test(name)) { el.setAttribute(name, attrs[name]); }
    });
    for (let i = 2; i < spec.length; i += 1) { el.appendChild(build(spec[i])); }
    return el;
  }

  function morph(el, fresh) {  // the same node, new content: focus and listeners stay
    Array.from(el.attributes).forEach(function (a) {
      if (!fresh.hasAttribute(a.name) && a.name.indexOf("data-key") !== 0) { el.removeAttribute(a.name); }
    });
    Array.from(fresh.attributes).forEach(function (a) { el.setAttribute(a.name, a.value); });
    el.replaceChildren.apply(el, Array.from(fresh.childNodes));
  }

  /* Draws `items` ([{key, sig, spec}]) into `box`: an unchanged entry is left alone, a changed
     one is updated in place, new ones are inserted, gone ones removed; order follows `items`. */
  function renderList(box, items) {
    const old = new Map();
    Array.from(box.children).forEach(function (el) {
      if (el.dataset.key) { old.set(el.dataset.key, el); } else { el.remove(); }
    });
    let at = box.firstChild;
    items.forEach(function (it) {
      let el = old.get(it.key);
      if (el) {
        old.delete(it.key);
        if (el.dataset.sig !== it.sig) { morph(el, build(it.spec)); }
      } else {
        el = build(it.spec);
      }
      el.dataset.key = it.key;
      el.dataset.sig = it.sig;
      if (el !== at) { box.insertBefore(el, at); } else { at = at.nextSibling; }
    });
    old.forEach(function (el) { el.remove(); });
  }

  function showSelected() {
    document.querySelectorAll("#queue-list [data-open-report]").forEach(function (row) {
      const on = row.dataset.openReport === IOC.selected;
      if (row.classList.contains("selected") !== on) { row.classList.toggle("selected", on); }
      row.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  /* ---- the new-report alert: drawn here, dismissed here (at once, even when the server is
     slow), flashing and beeping for reports this page has not shown before */
  IOC.alertKnown = null;  // ids shown by this page so far; null until the first draw
  const HIDDEN_KEY = "ioc.alertHidden", HIDDEN_KEPT = 400;

  function hiddenAlerts() {
    try { return JSON.parse(window.sessionStorage.getItem(HIDDEN_KEY) || "[]"); }
    catch (e) { return []; }
  }

  function dismissAlerts() {
    const all = (IOC.alertStore && IOC.alertStore.alerts || []).map(function (a) { return a.key; });
    const hidden = hiddenAlerts().concat(all).slice(-HIDDEN_KEPT);
    try { window.sessionStorage.setItem(HIDDEN_KEY, JSON.stringify(hidden)); } catch (e) { /* full */ }
    drawAlerts();
  }

  function flash() {
    if (Date.now() - (IOC.lastFlash || 0) < 3000) { return; }  // a flood flashes now and then
    IOC.lastFlash = Date.now();
    const banner = document.getElementById("alert-banner");
    if (banner && banner.animate) {
      banner.animate([{backgroundColor: "#ff2d55", boxShadow: "0 0 0 4px #ff8fa6"},
                      {backgroundColor: "#3a0d18", boxShadow: "0 0 0 0 transparent"}],
                     {duration: 450, iterations: 4});
    }
    if (Date.now() - IOC.lastBeep > 2500 && beep()) { IOC.lastBeep = Date.now(); }
  }

  /* The banner floats over the header after the navigation, covering the health badge and the
     clock while it shows; the language switch and the sign-in stay in reach (on a narrow
     screen only the sign-in). */
  function placeBanner(banner) {
    const nav = document.querySelector(".app-header .nav");
    const ends = ["lang-switch", "auth-area"].map(function (id) {
      const el = document.getElementById(id);
      return el ? el.getBoundingClientRect().left - 10 : 0;
    });
    if (!nav) { return; }
    const left = nav.getBoundingClientRect().right + 10;
    const right = ends[0] - left >= 560 ? ends[0] : ends[1];
    if (right - left >= 420) {
      banner.style.left = left + "px";
      banner.style.width = Math.min(1100, right - left) + "px";
      banner.style.transform = "none";
    } else {  // too narrow: the stylesheet's centred banner
      banner.style.left = banner.style.width = banner.style.transform = "";
    }
  }
  window.addEventListener("resize", function () {
    const banner = document.getElementById("alert-banner");
    if (banner && !banner.hidden) { placeBanner(banner); }
  });

  function drawAlerts() {
    const store = IOC.alertStore;
    const banner = document.getElementById("alert-banner");
    const list = document.getElementById("alert-list");
    if (!banner || !list) { return; }
    banner.dataset.armed = store && store.since ? "true" : "false";
    const hidden = new Set(hiddenAlerts());
    const alerts = (store && store.alerts || []).filter(function (a) { return !hidden.has(a.key); });
    const words = store && store.words || {};
    renderList(list, alerts.slice(0, words.shown || 8));
    const more = document.getElementById("alert-more");
    if (more) {
      const open = banner.classList.contains("expanded");
      const n = alerts.length - (open ? (words.shown || 8) : 1);
      more.textContent = n > 0 ? (words.more || "+{n}").replace("{n}", n) + (open ? "" : " ▾")
        : (open && alerts.length > 1 ? "▴" : "");
      more.setAttribute("aria-expanded", open ? "true" : "false");
    }
    const title = document.getElementById("alert-title");
    if (title) {
      title.textContent = alerts.length === 1 ? (words.one || "")
        : (words.many || "{n}").replace("{n}", alerts.length);
    }
    if (banner.hidden !== !alerts.length) { banner.hidden = !alerts.length; }
    if (alerts.length) { placeBanner(banner); }
    if (IOC.baseTitle === null || !document.title.startsWith("⚠")) { IOC.baseTitle = document.title; }
    document.title = alerts.length ? "⚠ (" + alerts.length + ") " + IOC.baseTitle : IOC.baseTitle;
    // New to this page: flash and beep (what was there when the page opened does not).
    const fresh = IOC.alertKnown !== null && alerts.some(function (a) { return !IOC.alertKnown.has(a.key); });
    if (store && store.since) {
      IOC.alertKnown = IOC.alertKnown || new Set();
      alerts.forEach(function (a) { IOC.alertKnown.add(a.key); });
    }
    if (fresh) { flash(); }
  }

  function foldAlerts() {  // done with the list (a row opened, or dismissed): fold it
    const banner = document.getElementById("alert-banner");
    if (banner && banner.classList.contains("expanded")) {
      banner.classList.remove("expanded");
      drawAlerts();
    }
  }

  /* ---- opening a report: one delegated listener for every row, present or future */
  function openFrom(target) {
    if (target.closest("a, button, input, textarea, select, .dash-dropdown")) { return false; }
    const row = target.closest("[data-open-report]");
    if (!row || !window.dash_clientside || !window.dash_clientside.set_props) { return false; }
    IOC.selected = row.dataset.openReport;
    showSelected();
    window.dash_clientside.set_props("queue-selected", {data: row.dataset.openReport});
    return true;
  }

  function closeReport() {
    if (!IOC.selected || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
    const id = IOC.selected;
    IOC.selected = null;
    showSelected();
    window.dash_clientside.set_props("queue-selected", {data: null});
    const row = document.querySelector("#queue-list [data-open-report='" + CSS.escape(id) + "']");
    if (row) { row.focus(); }
  }

  function step(row, by) {  // arrow keys move between the rows of one list
    const rows = Array.from(row.parentNode.querySelectorAll(":scope > [data-open-report]"));
    const next = rows[rows.indexOf(row) + by];
    if (next) { next.focus(); next.scrollIntoView({block: "nearest"}); }
  }

  document.addEventListener("click", function (e) {
    unlock();
    if (e.target.closest("#alert-dismiss, #alert-list")) { foldAlerts(); }
    if (e.target.closest("#alert-dismiss")) { dismissAlerts(); return; }
    if (e.target.closest("#alert-more")) {
      document.getElementById("alert-banner").classList.toggle("expanded");
      drawAlerts();
      return;
    }
    openFrom(e.target);
  }, true);
  document.addEventListener("keydown", function (e) {
    const onRow = e.target.matches && e.target.matches("[data-open-report]");
    if (onRow && (e.key === "Enter" || e.key === " ")) {
      if (e.target.closest("#alert-list")) { foldAlerts(); }
      if (openFrom(e.target)) { e.preventDefault(); }
    } else if (onRow && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      step(e.target, e.key === "ArrowDown" ? 1 : -1);
      e.preventDefault();
    } else if (e.key === "Escape" && document.querySelector("#auth-modal:not([hidden])")) {
      const cancel = document.getElementById("auth-cancel");
      if (cancel) { cancel.click(); }
    } else if (e.key === "Escape" && IOC.selected &&
               !e.target.closest("input, textarea, select, .dash-dropdown")) {
      closeReport();  // never from a field: Esc there must not throw a draft response away
    }
  });

  function start() {
    new MutationObserver(soon).observe(document.body, {
      subtree: true, childList: true, attributes: true,
      attributeFilter: ["data-due", "data-left", "data-state"]});
    window.setInterval(tick, 1000);
    window.setInterval(refreshSoundButton, 1000);
    tick();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  /* ---- clientside callbacks (dashboard/pages/control.py) */
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ioc = {
    headerClock: function (offset) {  // the header's clock store: {at, wall, speed}
      if (offset && offset.at) { anchor(offset.at + (Date.now() - offset.wall) * offset.speed,
                                        offset.speed); soon(); }
      return window.dash_clientside.no_update;
    },
    queueClock: function (qc) {  // the queue's "now", read with every refresh
      if (qc && qc.now) { anchor(Date.parse(qc.now), null); soon(); }
      return window.dash_clientside.no_update;
    },
    soundToggle: function (nClicks, on) {
      let value = on === false ? false : true;
      if (nClicks) { value = !value; }
      IOC.soundOn = value;
      if (value) {
        unlock();
        if (nClicks) { window.setTimeout(beep, 150); }  // a test beep on switching it on
      }
      const btn = document.getElementById("sound-toggle");
      if (btn) { btn.dataset.state = ""; }
      refreshSoundButton();
      return value;
    },
    renderQueue: function (view) {
      const box = document.getElementById("queue-list");
      if (!box || !view) { return window.dash_clientside.no_update; }
      if (view.items) {
        renderList(box, view.items);
      } else {
        box.replaceChildren(build(view.notice));
      }
      // A new page or filter starts at the top, not where the last one was scrolled to.
      if (box.dataset.view !== view.view) {
        box.dataset.view = view.view;
        const scroll = document.getElementById("queue-scroll");
        if (scroll) { scroll.scrollTop = 0; }
      }
      showSelected();
      return window.dash_clientside.no_update;
    },
    selectReport: function (selected) {
      IOC.selected = selected || null;
      showSelected();
      return window.dash_clientside.no_update;
    },
    renderAlerts: function (store) {
      IOC.alertStore = store || null;
      drawAlerts();
      return window.dash_clientside.no_update;
    },
    pageTitle: function () {  // the tab's title in the chosen language, after Dash sets its own
      window.setTimeout(function () {
        const active = document.querySelector(".app-header .nav-link.active");
        if (!active) { return; }
        const title = active.textContent + " · IOC Long Khánh";
        const alerts = document.title.match(/^⚠ \(\d+\) /);
        IOC.baseTitle = title;
        document.title = (alerts ? alerts[0] : "") + title;
      }, 60);
      return window.dash_clientside.no_update;
    },
    feedbackShown: function (text) {  // an action's answer, where the operator is looking
      const el = document.getElementById("action-feedback");
      if (el && text) { el.scrollIntoView({block: "nearest"}); }
      return window.dash_clientside.no_update;
    },
    detailOpened: function (sig) {  // another report: its detail starts at the top
      const box = document.querySelector("#detail-panel .detail-scroll");
      const id = sig && sig.id;
      if (box && id !== IOC.detailShown) { box.scrollTop = 0; }
      IOC.detailShown = id;
      return window.dash_clientside.no_update;
    },
    toggleModal: function (openClicks, cancelClicks, auth) {
      const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
      if (trigger.startsWith("auth-open")) {
        window.setTimeout(function () {
          const el = document.getElementById("auth-username");
          if (el) { el.focus(); }
        }, 50);
        return false;
      }
      return true;  // cancel, or signed in
    },
  };
})();

/* The new-report alert banner (dashboard/pages/control/alerts.py sends its rows, the least time
   left first): drawn, folded, unfolded and dismissed here, at once, even when the server is
   slow; it flashes and beeps for each report this page has not shown before.

   What it shows. The newest arrival the operator has not seen (not opened, not dismissed) is
   always on screen: it is the first row, labelled "newest", and the most pressing one (the
   least time left) is next, labelled so; folded, the banner shows just these two and says how
   many more there are; unfolded, the rest follow by time left.

   A row never moves from under the pointer. While the pointer is on the banner, the rows down
   to the one it rests on stay as they are; what would settle above them (a new arrival) is
   shown just below that row instead, and the banner settles when the pointer leaves. Rows keep
   their nodes (IOC.list), so a row being clicked is the row that opens. */
(function () {
  "use strict";

  const IOC = window.IOC = window.IOC || {};
  const HIDDEN = "ioc.alertHidden", SEEN = "ioc.alertSeen", KEPT = 400;  // sessionStorage
  let store = null;     // the alert-store: {since, alerts: [{key, sig, spec, at}], words}
  let known = null;     // ids this page has shown, null until armed: what is new flashes
  let held = null;      // the row under the pointer, while the pointer is on the banner
  let shownNewest = null;  // the newest row drawn last: a new one scrolls an unfolded banner up
  let lastFlash = 0, lastBeep = 0;

  function kept(name) {
    try { return JSON.parse(window.sessionStorage.getItem(name) || "[]"); }
    catch (e) { return []; }
  }

  function keep(name, ids) {  // for this tab: a reload neither undoes a dismissal nor a look
    const all = kept(name).filter(function (id) { return ids.indexOf(id) < 0; }).concat(ids);
    try { window.sessionStorage.setItem(name, JSON.stringify(all.slice(-KEPT))); }
    catch (e) { /* storage full: it is forgotten on a reload */ }
  }

  /* The banner's rows in order, how many of them show, and each row's roles. `alerts` come
     the least time left first; `hold`: the rows shown down to the one under the pointer. */
  function arrange(alerts, seen, expanded, hold) {
    const roles = {};
    if (!alerts.length) { return {rows: [], shown: 0, roles: roles}; }
    const pressing = alerts[0];
    let newest = null;
    alerts.forEach(function (a) {
      if (!seen.has(a.key) && (!newest || Date.parse(a.at) > Date.parse(newest.at))) { newest = a; }
    });
    if (alerts.length > 1) {
      if (newest) { roles[newest.key] = ["newest"]; }
      roles[pressing.key] = (roles[pressing.key] || []).concat("pressing");
    }
    const settled = newest ? [newest].concat(alerts.filter(function (a) { return a !== newest; }))
      : alerts.slice();
    let shown = expanded ? settled : settled.filter(function (a) {
      return a === newest || a === pressing;
    });
    if (hold) {
      const byKey = new Map(alerts.map(function (a) { return [a.key, a]; }));
      const stay = hold.map(function (k) { return byKey.get(k); }).filter(Boolean);
      shown = stay.concat(shown.filter(function (a) { return stay.indexOf(a) < 0; }));
    }
    const rest = settled.filter(function (a) { return shown.indexOf(a) < 0; });
    return {rows: shown.concat(rest), shown: shown.length, roles: roles};
  }

  function heldRows(list) {  // the keys of the rows shown down to the held one, or null
    if (held === null) { return null; }
    const shown = Array.from(list.children).filter(function (el) { return !el.hidden; });
    const at = shown.findIndex(function (el) { return el.dataset.key === held; });
    return at < 0 ? null : shown.slice(0, at + 1).map(function (el) { return el.dataset.key; });
  }

  function flash(banner) {
    if (Date.now() - lastFlash < 3000) { return; }  // a flood flashes now and then
    lastFlash = Date.now();
    if (banner.animate) {
      banner.animate([{backgroundColor: "#ff2d55", boxShadow: "0 0 0 4px #ff8fa6"},
                      {backgroundColor: "#3a0d18", boxShadow: "0 0 0 0 transparent"}],
                     {duration: 450, iterations: 4});
    }
    if (Date.now() - lastBeep > 2500 && IOC.sound.beep()) { lastBeep = Date.now(); }
  }

  /* The banner floats over the header after the navigation, covering the health badge and the
     clock while it shows; the language switch and the sign-in stay in reach (on a narrow
     screen only the sign-in). */
  function place(banner) {
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

  function draw() {
    const banner = document.getElementById("alert-banner");
    const list = document.getElementById("alert-list");
    if (!banner || !list) { return; }
    banner.dataset.armed = store && store.since ? "true" : "false";
    const hidden = new Set(kept(HIDDEN));
    const alerts = (store && store.alerts || []).filter(function (a) { return !hidden.has(a.key); });
    const words = store && store.words || {};
    const open = banner.classList.contains("expanded");
    const hold = heldRows(list);
    const plan = arrange(alerts, new Set(kept(SEEN)), open, hold);
    IOC.list.render(list, plan.rows);
    Array.from(list.children).forEach(function (el, i) {
      const roles = plan.roles[el.dataset.key] || [];
      if (el.hidden !== (i >= plan.shown)) { el.hidden = i >= plan.shown; }
      el.dataset.role = roles.join(" ");
      const label = el.querySelector(".alert-role");
      if (label) {
        say(label, roles.length ? [0, 1].map(function (narrow) {  // [wide, narrow]
          return roles.map(function (r) { return (words[r] || [])[narrow] || ""; }).join(" · ");
        }) : []);
      }
    });
    const newest = plan.rows.length && (plan.roles[plan.rows[0].key] || []).indexOf("newest") >= 0
      ? plan.rows[0].key : null;
    if (open && !hold && newest !== shownNewest) { banner.scrollTop = 0; }  // bring it in view
    shownNewest = newest;

    const more = document.getElementById("alert-more");
    if (more) {
      const folded = alerts.length - plan.shown;
      if (open) {
        say(more, alerts.length > 1 ? [(words.fold || "") + " ▴"] : []);
      } else {
        say(more, folded > 0 ? (words.more || ["+{n}"]).map(function (w) {
          return w.replace("{n}", folded) + " ▾";
        }) : []);
      }
      more.setAttribute("aria-expanded", open ? "true" : "false");
    }
    const title = document.getElementById("alert-title");
    if (title) {
      say(title, alerts.length === 1 ? (words.one || [])
        : (words.many || []).map(function (w) { return w.replace("{n}", alerts.length); }));
    }
    if (banner.hidden !== !alerts.length) { banner.hidden = !alerts.length; }
    if (alerts.length) { place(banner); }
    IOC.page.alertCount(alerts.length);
    // New to this page: flash and beep (what was there when the page opened does not).
    const fresh = known !== null && alerts.some(function (a) { return !known.has(a.key); });
    if (store && store.since) {
      known = known || new Set();
      alerts.forEach(function (a) { known.add(a.key); });
    }
    if (fresh) { flash(banner); }
  }

  /* Writes `text` into `el`: [wide, narrow] as two spans, the stylesheet showing the one that
     fits the banner; [text] (or two the same) as it is; [] as nothing, so that `el` is :empty. */
  function say(el, text) {
    if (text.length === 2 && text[0] === text[1]) { text = [text[0]]; }
    const key = JSON.stringify(text);
    if (el.dataset.said === key) { return; }
    el.dataset.said = key;
    el.replaceChildren.apply(el, text.length < 2 ? text.map(function (w) {
      return document.createTextNode(w);
    }) : text.map(function (w, i) {
      const span = document.createElement("span");
      span.className = i ? "narrow" : "wide";
      span.textContent = w;
      return span;
    }));
  }

  function fold() {  // done with the list (a row opened, or dismissed)
    const banner = document.getElementById("alert-banner");
    if (banner) { banner.classList.remove("expanded"); }
  }

  document.addEventListener("click", function (e) {
    if (e.target.closest("#alert-dismiss")) {
      keep(HIDDEN, (store && store.alerts || []).map(function (a) { return a.key; }));
      fold();
      draw();
    } else if (e.target.closest("#alert-more")) {
      document.getElementById("alert-banner").classList.toggle("expanded");
      draw();
    }
  }, true);

  document.addEventListener("ioc-report-opened", function (e) {
    keep(SEEN, [e.detail.id]);
    if (e.detail.row.closest("#alert-list")) { fold(); }
    draw();
  });

  // The row under the pointer is held until the pointer leaves the banner (crossing the gap
  // between two rows does not let the rows settle).
  document.addEventListener("pointerover", function (e) {
    const row = e.target.closest && e.target.closest("#alert-list [data-key]");
    const before = held;
    if (row) {
      held = row.dataset.key;
    } else if (!(e.target.closest && e.target.closest("#alert-banner"))) {
      held = null;
    }
    if (before !== null && held === null) { draw(); }
  });
  document.addEventListener("pointerout", function (e) {
    if (!e.relatedTarget && held !== null) { held = null; draw(); }  // left the window
  });
  window.addEventListener("resize", function () {
    const banner = document.getElementById("alert-banner");
    if (banner && !banner.hidden) { place(banner); }
  });

  IOC.alerts = {arrange: arrange};

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ioc = Object.assign(window.dash_clientside.ioc || {}, {
    renderAlerts: function (data) {
      store = data || null;
      draw();
      return window.dash_clientside.no_update;
    },
  });
})();

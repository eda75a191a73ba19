/* The stream's clock in the browser (DESIGN: Time), and everything that shows it: the header's
   clock and every SLA countdown. The API's "now" and speed anchor it (from /health and from
   each queue poll); between readings it runs at the scenario's speed, so a replay at 60×
   counts down as it ran, and the operator's PC clock does not matter.

   Countdown spans are rendered empty by the server (dashboard/queue.py `countdown`) with
   data-due, data-state, data-left and the text templates; only this file writes their text, so
   React never fights it. Assets load in any order: each file registers itself on window.IOC
   and uses the others only when called. */
(function () {
  "use strict";

  const IOC = window.IOC = window.IOC || {};
  let anchor = null;  // {at: stream ms, wall: Date.now() then, speed}
  let speed = 1;
  let words = {lang: "vi", tz: "Asia/Ho_Chi_Minh", zone: ""};  // the header clock's
  // On /replay the clock is the replay's (its status' "now" and speed; 0 while paused or
  // done), and the live city's /health no longer moves it.
  let onReplay = false;

  function now() {  // the stream's "now" in ms, or null before the first reading
    return anchor ? anchor.at + (Date.now() - anchor.wall) * anchor.speed : null;
  }

  function follow(atMs, newSpeed) {
    if (isNaN(atMs)) { return; }
    if (newSpeed) { speed = newSpeed; }
    const current = now();
    // Re-anchor only on a real jump, so network jitter never makes a countdown step backwards.
    if (current === null || Math.abs(current - atMs) > 1500 * speed) {
      anchor = {at: atMs, wall: Date.now(), speed: speed};
    } else if (anchor.speed !== speed) {
      anchor = {at: current, wall: Date.now(), speed: speed};
    }
    soon();
  }

  function two(n) { return String(n).padStart(2, "0"); }

  // Always h:mm:ss ("0:45:12"): with two fields, 45:12 could be read as hours and minutes.
  function hms(seconds) {
    const s = Math.floor(Math.abs(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    return h + ":" + two(m) + ":" + two(x);
  }

  function countdownText(el, at) {
    let left;
    if (el.dataset.frozen === "1" || at === null) {
      // A stopped clock's figure, or no reading yet: the server's figure, not ticking.
      if (el.dataset.left === "" || el.dataset.left === undefined) { return ""; }
      left = Number(el.dataset.left);
    } else {
      const due = Date.parse(el.dataset.due);
      if (isNaN(due)) { return ""; }
      left = (due - at) / 1000;
    }
    return (left < 0 ? el.dataset.neg : el.dataset.pos).replace("{t}", hms(left));
  }

  function showHeader(at) {
    const time = document.getElementById("clock-time");
    const date = document.getElementById("clock-date");
    if (!time || !date) { return; }
    const when = new Date(at === null ? Date.now() : at);
    const t = new Intl.DateTimeFormat("en-GB", {timeZone: words.tz, hour: "2-digit",
      minute: "2-digit", second: "2-digit", hourCycle: "h23"}).format(when);
    const d = new Intl.DateTimeFormat(words.lang === "en" ? "en-GB" : "vi-VN", {
      timeZone: words.tz, weekday: "short", day: "2-digit", month: "2-digit",
      year: "numeric"}).format(when) + " · " + words.zone;
    if (time.textContent !== t) { time.textContent = t; }
    if (date.textContent !== d) { date.textContent = d; }
  }

  function showReplay(at) {  // /replay's own big clock: the replay's time and date
    const time = document.getElementById("replay-clock");
    const date = document.getElementById("replay-date");
    if (!time || !date || at === null || !onReplay) { return; }
    const when = new Date(at);
    const t = new Intl.DateTimeFormat("en-GB", {timeZone: words.tz, hour: "2-digit",
      minute: "2-digit", second: "2-digit", hourCycle: "h23"}).format(when);
    const d = new Intl.DateTimeFormat(words.lang === "en" ? "en-GB" : "vi-VN", {
      timeZone: words.tz, day: "2-digit", month: "2-digit", year: "numeric"}).format(when);
    if (time.textContent !== t) { time.textContent = t; }
    if (date.textContent !== d) { date.textContent = d; }
  }

  function tick() {
    if (onReplay && !document.getElementById("replay-page")) { onReplay = false; }
    const at = now();
    showHeader(at);
    showReplay(at);
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      const text = countdownText(el, at);
      if (el.textContent !== text) { el.textContent = text; }
      if (el.dataset.frozen !== "1" && at !== null) {
        const late = Date.parse(el.dataset.due) < at;
        if (late !== el.classList.contains("late")) { el.classList.toggle("late", late); }
      }
    });
  }

  let pending = false;
  function soon() {  // a new countdown on the page: fill it in at the next frame
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; tick(); });
  }

  function start() {
    new MutationObserver(soon).observe(document.body, {
      subtree: true, childList: true, attributes: true,
      attributeFilter: ["data-due", "data-left", "data-state"]});
    window.setInterval(tick, 1000);
    tick();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  IOC.clock = {now: now};

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ioc = Object.assign(window.dash_clientside.ioc || {}, {
    streamClock: function (health) {  // /health's clock: {now, speed} (dashboard/app.py)
      if (onReplay && document.getElementById("replay-page")) {
        return window.dash_clientside.no_update;
      }
      if (health && health.now) { follow(Date.parse(health.now), health.speed || 1); }
      return window.dash_clientside.no_update;
    },
    queueClock: function (qc) {  // the queue's "now", read with every refresh
      if (qc && qc.now) { follow(Date.parse(qc.now), null); }
      return window.dash_clientside.no_update;
    },
    replayClock: function (st) {  // /replay's status: {state, now, speed} (pages/replay)
      if (!st || !st.now) { return window.dash_clientside.no_update; }
      const at = Date.parse(st.now);
      const pace = st.state === "running" && st.speed ? st.speed : 0;
      const current = onReplay ? now() : null;
      if (current === null || !anchor || anchor.speed !== pace ||
          Math.abs(current - at) > 1500 * Math.max(pace, 1)) {
        anchor = {at: at, wall: Date.now(), speed: pace};
      }
      onReplay = true;
      soon();
      return window.dash_clientside.no_update;
    },
    clockWords: function (lang, cfg) {  // the header clock's language, zone and its name
      const code = lang === "en" ? "en" : "vi";
      words = {lang: code, tz: (cfg && cfg.tz) || "Asia/Ho_Chi_Minh",
               zone: (cfg && cfg.zone && cfg.zone[code]) || ""};
      soon();
      return window.dash_clientside.no_update;
    },
  });
})();

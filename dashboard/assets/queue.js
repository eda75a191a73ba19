/* The operator's queue in the browser: SLA countdowns that tick every second, opening a report
   with a click or Enter, and the new-report alert (a flash and a short beep made with the Web
   Audio API: no sound file is ever downloaded).

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

  function hms(seconds) {
    const s = Math.floor(Math.abs(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    return h ? h + ":" + two(m) + ":" + two(x) : two(m) + ":" + two(x);
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

  /* ---- opening a report: one delegated listener for every row, present or future */
  function openFrom(target) {
    if (target.closest("a, button, input, textarea, select, .dash-dropdown")) { return false; }
    const row = target.closest("[data-open-report]");
    if (!row || !window.dash_clientside || !window.dash_clientside.set_props) { return false; }
    window.dash_clientside.set_props("queue-selected", {data: row.dataset.openReport});
    return true;
  }

  document.addEventListener("click", function (e) {
    unlock();
    openFrom(e.target);
  }, true);
  document.addEventListener("keydown", function (e) {
    if ((e.key === "Enter" || e.key === " ") && e.target.matches("[data-open-report]")) {
      if (openFrom(e.target)) { e.preventDefault(); }
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
    alertFx: function (fx, alerts) {
      const n = (alerts && alerts.alerts) ? alerts.alerts.length : 0;
      if (IOC.baseTitle === null) { IOC.baseTitle = document.title; }
      if (!document.title.startsWith("⚠")) { IOC.baseTitle = document.title; }
      document.title = n ? "⚠ (" + n + ") " + IOC.baseTitle : IOC.baseTitle;
      // A flood of arrivals flashes and beeps at most every few seconds, not continuously.
      if (fx && fx.new && fx.at !== IOC.lastFx && Date.now() - (IOC.lastFlash || 0) > 3000) {
        IOC.lastFx = fx.at;
        IOC.lastFlash = Date.now();
        const banner = document.getElementById("alert-banner");
        if (banner && banner.animate) {
          banner.animate([{backgroundColor: "#ff2d55", boxShadow: "0 0 0 4px #ff8fa6"},
                          {backgroundColor: "#3a0d18", boxShadow: "0 0 0 0 transparent"}],
                         {duration: 450, iterations: 4});
        }
        if (Date.now() - IOC.lastBeep > 2500 && beep()) { IOC.lastBeep = Date.now(); }
      }
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

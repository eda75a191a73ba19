/* The alert's sound: a short beep made with the Web Audio API (no sound file is ever
   downloaded). Browsers allow sound only after a user gesture, so it is unlocked by the
   operator's first click on the page; the sound button says whether it is on, off, or still
   waiting for that click. */
(function () {
  "use strict";

  const IOC = window.IOC = window.IOC || {};
  let on = true;
  let audio = null;

  function context() {
    if (!audio) {
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) { return null; }
      audio = new AC();
    }
    return audio;
  }

  function ready() { return on && audio && audio.state === "running"; }

  function unlock() {
    if (!on) { return; }
    const ua = navigator.userActivation;
    if (!audio && ua && !ua.hasBeenActive) { showButton(); return; }  // no gesture yet
    const ctx = context();
    if (ctx && ctx.state === "suspended") { ctx.resume().then(showButton); }
    showButton();
  }

  function beep() {  // true if it sounded
    if (!ready()) { return false; }
    let t0 = audio.currentTime + 0.02;
    [880, 1320, 880].forEach(function (f) {
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "triangle";
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(0.3, t0 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.16);
      osc.connect(gain).connect(audio.destination);
      osc.start(t0);
      osc.stop(t0 + 0.18);
      t0 += 0.2;
    });
    return true;
  }

  function showButton() {
    const btn = document.getElementById("sound-toggle");
    if (!btn) { return; }
    const state = !on ? "off" : (ready() ? "on" : "blocked");
    if (btn.dataset.state === state) { return; }
    btn.dataset.state = state;
    const label = btn.querySelector(".sound-label");
    const icon = btn.querySelector(".sound-icon");
    if (label) { label.textContent = btn.dataset["label" + state[0].toUpperCase() + state.slice(1)]; }
    if (icon) { icon.textContent = state === "on" ? "♪" : "⊘"; }
    btn.setAttribute("aria-pressed", state === "on" ? "true" : "false");
  }

  document.addEventListener("click", unlock, true);
  window.setInterval(showButton, 1000);

  IOC.sound = {beep: beep};

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ioc = Object.assign(window.dash_clientside.ioc || {}, {
    soundToggle: function (nClicks, stored) {  // the sound-on store: the operator's choice
      on = stored !== false;
      if (nClicks) { on = !on; }
      if (on) {
        unlock();
        if (nClicks) { window.setTimeout(beep, 150); }  // a test beep on switching it on
      }
      const btn = document.getElementById("sound-toggle");
      if (btn) { btn.dataset.state = ""; }
      showButton();
      return on;
    },
  });
})();

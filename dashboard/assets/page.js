/* The tab's title (the page's name in the chosen language, with the number of new alerts in
   front: "⚠ (3) Điều hành · IOC Long Khánh") and the detail panel's scrolling: another report
   starts at the top, and an action's answer is scrolled into view where the operator looks. */
(function () {
  "use strict";

  const IOC = window.IOC = window.IOC || {};
  let base = null;  // the title without the alert count
  let written = null;  // what this file last wrote: anything else was Dash naming the page
  let alerts = 0;
  let detailShown = null;

  function showTitle() {
    if (document.title !== written) { base = document.title.replace(/^⚠ \(\d+\) /, ""); }
    written = (alerts ? "⚠ (" + alerts + ") " : "") + base;
    document.title = written;
  }

  IOC.page = {
    alertCount: function (n) {  // from the alert banner
      alerts = n;
      showTitle();
    },
  };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ioc = Object.assign(window.dash_clientside.ioc || {}, {
    pageTitle: function () {  // after Dash has set its own (in the language it registered)
      window.setTimeout(function () {
        const active = document.querySelector(".app-header .nav-link.active");
        if (!active) { return; }
        base = active.textContent + " · IOC Long Khánh";
        written = document.title;  // keep this base
        showTitle();
      }, 60);
      return window.dash_clientside.no_update;
    },
    feedbackShown: function (text) {
      const el = document.getElementById("action-feedback");
      if (el && text) { el.scrollIntoView({block: "nearest"}); }
      return window.dash_clientside.no_update;
    },
    detailOpened: function (sig) {
      const box = document.querySelector("#detail-panel .detail-scroll");
      const id = sig && sig.id;
      if (box && id !== detailShown) { box.scrollTop = 0; }
      detailShown = id;
      return window.dash_clientside.no_update;
    },
  });
})();

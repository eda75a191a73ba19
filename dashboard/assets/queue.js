/* The queue's rows (drawn by IOC.list from the queue-view store) and the open report: a click
   on any row that carries data-open-report (in the queue or in the alert banner) opens it, the
   open one is marked, and an "ioc-report-opened" event tells the other modules (the alert
   banner marks it seen). Keyboard opening is in keys.js. */
(function () {
  "use strict";

  const IOC = window.IOC = window.IOC || {};
  let selected = null;  // the open report's id, also kept in the queue-selected store

  function showSelected() {
    document.querySelectorAll("#queue-list [data-open-report]").forEach(function (row) {
      const on = row.dataset.openReport === selected;
      if (row.classList.contains("selected") !== on) { row.classList.toggle("selected", on); }
      row.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  function dash() { return window.dash_clientside && window.dash_clientside.set_props; }

  /* Opens the report of the row `target` is in; false if it is not in one (or on a control). */
  function open(target) {
    if (target.closest("a, button, input, textarea, select, .dash-dropdown")) { return false; }
    const row = target.closest("[data-open-report]");
    if (!row || !dash()) { return false; }
    selected = row.dataset.openReport;
    showSelected();
    window.dash_clientside.set_props("queue-selected", {data: selected});
    document.dispatchEvent(new CustomEvent("ioc-report-opened",
                                           {detail: {id: selected, row: row}}));
    return true;
  }

  function close() {  // back to the queue, on the row that was open
    if (!selected || !dash()) { return false; }
    const id = selected;
    selected = null;
    showSelected();
    window.dash_clientside.set_props("queue-selected", {data: null});
    const row = document.querySelector("#queue-list [data-open-report='" + CSS.escape(id) + "']");
    if (row) { row.focus(); }
    return true;
  }

  document.addEventListener("click", function (e) { open(e.target); }, true);

  IOC.queue = {open: open, close: close, isOpen: function () { return selected !== null; }};

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ioc = Object.assign(window.dash_clientside.ioc || {}, {
    renderQueue: function (view) {
      const box = document.getElementById("queue-list");
      if (!box || !view) { return window.dash_clientside.no_update; }
      if (view.items) {
        IOC.list.render(box, view.items);
      } else {
        box.replaceChildren(IOC.list.build(view.notice));
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
    selectReport: function (id) {  // the store changed (the ✕ button, a reload)
      selected = id || null;
      showSelected();
      return window.dash_clientside.no_update;
    },
  });
})();

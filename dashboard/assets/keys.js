/* The keyboard on /control: Enter or Space opens the focused row (of the queue or the alert
   banner), the arrow keys move between the rows of one list, Esc closes the open report
   (never from a field: Esc there must not throw a draft response away). A key another module
   has already handled (the sign-in dialog's Esc) is left alone. */
(function () {
  "use strict";

  const IOC = window.IOC = window.IOC || {};

  function step(row, by) {  // to the next row shown (a folded banner hides some)
    const rows = Array.from(row.parentNode.querySelectorAll(":scope > [data-open-report]"))
      .filter(function (r) { return r === row || !r.hidden; });
    const next = rows[rows.indexOf(row) + by];
    if (next) { next.focus(); next.scrollIntoView({block: "nearest"}); }
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented) { return; }
    const onRow = e.target.matches && e.target.matches("[data-open-report]");
    if (onRow && (e.key === "Enter" || e.key === " ")) {
      if (IOC.queue.open(e.target)) { e.preventDefault(); }
    } else if (onRow && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      step(e.target, e.key === "ArrowDown" ? 1 : -1);
      e.preventDefault();
    } else if (e.key === "Escape" && IOC.queue.isOpen() &&
               !e.target.closest("input, textarea, select, .dash-dropdown")) {
      IOC.queue.close();
    }
  });
})();

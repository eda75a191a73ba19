/* The sign-in dialog (dashboard/auth.py): opened with the username field focused, closed on
   cancel, on Esc, or once signed in. */
(function () {
  "use strict";

  function shown() { return document.querySelector("#auth-modal:not([hidden])"); }

  // In the capture phase, before the page's own keys (keys.js): Esc here closes the dialog only.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || !shown()) { return; }
    const cancel = document.getElementById("auth-cancel");
    if (cancel) { cancel.click(); }
    e.preventDefault();
  }, true);

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.ioc = Object.assign(window.dash_clientside.ioc || {}, {
    toggleModal: function () {  // -> the dialog's `hidden`
      const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
      if (trigger.startsWith("auth-open")) {
        // Once the dialog shows; never taking the focus from a field already being typed in.
        window.setTimeout(function () {
          const modal = document.getElementById("auth-modal");
          const el = document.getElementById("auth-username");
          if (el && modal && !modal.contains(document.activeElement)) { el.focus(); }
        }, 50);
        return false;
      }
      return true;  // cancel, or signed in
    },
  });
})();

/* Lists drawn from element specs (dashboard/queue.py `spec`/`item`), keyed by report id: an
   unchanged entry is never touched, a changed one is updated in place (the same node, so the
   operator's focus and pointer stay on it), new ones are inserted, gone ones removed.

   What an entry may be made of is an allow-list: the server sends nothing else, and anything
   else is refused here too, so no tag or attribute can run code or load anything. Citizen text
   is only ever a text node. */
(function () {
  "use strict";

  const IOC = window.IOC = window.IOC || {};
  const TAGS = new Set(["div", "span", "button", "strong", "em", "b", "i", "small", "p", "time",
    "abbr", "ul", "ol", "li", "label", "mark"]);
  const PLAIN = /^(class|tabindex|for|id|role|title|lang|dir|data-[a-z0-9-]+|aria-[a-z]+)$/;

  function build(spec) {  // [tag, {attribute: value}, ...children] or text
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

  /* Draws `items` ([{key, sig, spec}]) into `box`, in the order of `items`. */
  function render(box, items) {
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

  IOC.list = {build: build, render: render};
})();

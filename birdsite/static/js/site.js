/* Every page: the phone menu, confirmations and auto-submitting filters (no inline script: the CSP forbids it). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  ready(function () {
    var toggle = document.querySelector("[data-nav-toggle]");
    var nav = document.querySelector("[data-nav]");
    if (toggle && nav) {
      var setOpen = function (open) {
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        nav.classList.toggle("open", open);
      };
      toggle.addEventListener("click", function () { setOpen(toggle.getAttribute("aria-expanded") !== "true"); });
      document.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") { setOpen(false); toggle.focus(); }
      });
    }
    /* <form data-confirm="Question?">: ask before sending. */
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.dataset.confirm)) e.preventDefault();
      });
    });
    /* <select data-autosubmit>: a filter that applies as soon as it changes. */
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();

/* A page that follows something running (a retraining) reloads itself every few seconds, but never while
   someone is typing into it: a half-written reason is not thrown away. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var marker = document.querySelector("[data-refresh-every]");
  if (!marker) return;
  var seconds = Number(marker.dataset.refreshEvery) || 10;
  function typing() {
    var active = document.activeElement;
    if (active && active.matches("input, textarea, select")) return true;
    return Array.prototype.some.call(document.querySelectorAll("form textarea, form input[type=text]"),
      function (field) { return field.value.trim() !== ""; });
  }
  setInterval(function () { if (!typing()) window.location.reload(); }, seconds * 1000);
});

/* The browser's time zone (IANA name) fills empty [data-browser-tz] inputs: sign-up and the account page
   default to where the birder is, so sightings and eBird exports read in local time. */
(function () {
  "use strict";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-browser-tz]").forEach(function (input) {
      if (!input.value) input.value = zone;
    });
    document.querySelectorAll("[data-browser-tz-name]").forEach(function (el) {
      el.textContent = zone || "not known";
    });
  });
})();

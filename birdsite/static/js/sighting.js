/* Sighting page: search the species catalog for the sighting's species, and a town for its place. */
(function () {
  "use strict";

  /* A search box that lists what the server finds as buttons; picking one calls pick(result). While a
     new search runs the old results cannot be picked: they answer another query. */
  function liveSearch(input, list, label, pick) {
    var timer = null, seq = 0;
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      list.setAttribute("aria-busy", "true");
      list.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      timer = setTimeout(function () {
        var q = input.value.trim(), mine = ++seq;
        if (q.length < 2) { list.replaceChildren(); list.removeAttribute("aria-busy"); return; }
        fetch(input.dataset.url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (mine !== seq) return;
            list.replaceChildren();
            list.removeAttribute("aria-busy");
            data.results.forEach(function (result) {
              var button = document.createElement("button");
              button.type = "button";
              button.textContent = label(result);
              button.addEventListener("click", function () {
                pick(result);
                list.replaceChildren(); input.value = "";
              });
              var li = document.createElement("li"); li.appendChild(button); list.appendChild(li);
            });
          })
          .catch(function () {  // offline or refused: nothing stale left disabled
            if (mine === seq) { list.replaceChildren(); list.removeAttribute("aria-busy"); }
          });
      }, 200);
    });
  }

  var species = document.querySelector("[data-species-search]");
  if (species) {
    var other = document.querySelector("[data-other-choice]");
    var otherRadio = document.querySelector("[data-other-radio]");
    var otherName = document.querySelector("[data-other-name]");
    liveSearch(species, document.querySelector("[data-search-results]"),
      function (s) { return s.common_name + " — " + s.scientific_name; },
      function (s) {
        otherRadio.value = s.key; otherRadio.checked = true;
        otherName.textContent = s.common_name; other.hidden = false;
      });
  }

  /* The place of a photo without GPS: a town by name (offline gazetteer), or where the phone is now. */
  var town = document.querySelector("[data-place-search]");
  if (!town) return;
  var name = document.getElementById("id_location_name");
  var lat = document.getElementById("id_latitude");
  var lng = document.getElementById("id_longitude");
  function fill(place, latitude, longitude) {
    if (place) name.value = place;
    lat.value = latitude.toFixed(6); lng.value = longitude.toFixed(6);
  }
  liveSearch(town, document.querySelector("[data-place-results]"),
    function (p) { return p.name; },
    function (p) { fill(p.name, p.latitude, p.longitude); });
  var here = document.querySelector("[data-here]");
  var status = document.querySelector("[data-here-status]");
  if (here && navigator.geolocation) {
    here.hidden = false;
    here.addEventListener("click", function () {
      status.textContent = "Asking this device where it is…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        fill("", pos.coords.latitude, pos.coords.longitude);
        status.textContent = "Filled in where this device is now (±" + Math.round(pos.coords.accuracy) + " m).";
      }, function (err) {
        status.textContent = "This device did not say where it is (" + err.message + "). Find a town instead.";
      }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
})();

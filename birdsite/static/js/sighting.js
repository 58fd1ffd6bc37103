/* Sighting page: search the species catalog and pick a result as the sighting's species. */
(function () {
  "use strict";
  var input = document.querySelector("[data-species-search]");
  if (!input) return;
  var list = document.querySelector("[data-search-results]");
  var other = document.querySelector("[data-other-choice]");
  var otherRadio = document.querySelector("[data-other-radio]");
  var otherName = document.querySelector("[data-other-name]");
  var timer = null, seq = 0;
  input.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
  /* While a new search runs, the old results cannot be picked: they answer another query. */
  function stale() {
    list.setAttribute("aria-busy", "true");
    list.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    stale();
    timer = setTimeout(function () {
      var q = input.value.trim(), mine = ++seq;
      if (q.length < 2) { list.replaceChildren(); list.removeAttribute("aria-busy"); return; }
      fetch(input.dataset.url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (mine !== seq) return;
          list.replaceChildren();
          list.removeAttribute("aria-busy");
          data.results.forEach(function (s) {
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = s.common_name + " — " + s.scientific_name;
            button.addEventListener("click", function () {
              otherRadio.value = s.key; otherRadio.checked = true;
              otherName.textContent = s.common_name; other.hidden = false;
              list.replaceChildren(); input.value = "";
            });
            var li = document.createElement("li"); li.appendChild(button); list.appendChild(li);
          });
        });
    }, 200);
  });
})();

/* The place of a photo without GPS: a town by name (offline gazetteer), or where the phone is now. */
(function () {
  "use strict";
  var input = document.querySelector("[data-place-search]");
  if (!input) return;
  var list = document.querySelector("[data-place-results]");
  var name = document.getElementById("id_location_name");
  var lat = document.getElementById("id_latitude");
  var lng = document.getElementById("id_longitude");
  var here = document.querySelector("[data-here]");
  var status = document.querySelector("[data-here-status]");
  var timer = null, seq = 0;

  function fill(place, latitude, longitude) {
    if (place && !name.value) name.value = place;
    lat.value = latitude.toFixed(6); lng.value = longitude.toFixed(6);
  }
  input.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    list.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    timer = setTimeout(function () {
      var q = input.value.trim(), mine = ++seq;
      if (q.length < 2) { list.replaceChildren(); return; }
      fetch(input.dataset.url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (mine !== seq) return;
          list.replaceChildren();
          data.results.forEach(function (p) {
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = p.name;
            button.addEventListener("click", function () {
              name.value = p.name; fill(p.name, p.latitude, p.longitude);
              list.replaceChildren(); input.value = "";
            });
            var li = document.createElement("li"); li.appendChild(button); list.appendChild(li);
          });
        });
    }, 200);
  });
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

// Review queue: keyboard shortcuts and the catalog search for corrections. Plain forms underneath.
(function () {
  "use strict";
  const item = document.querySelector("[data-review-item]");
  if (!item) return;
  const correct = document.querySelector("[data-correct]");
  const query = correct.querySelector("[data-correct-query]");
  const hits = correct.querySelector("[data-correct-hits]");
  const label = correct.querySelector("[data-correct-label]");
  let busy = false;

  function submit(form) {
    if (busy || !form) return;
    busy = true;
    item.setAttribute("aria-busy", "true");
    form.submit();
  }

  function choose(key) {
    label.value = key;
    submit(correct);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.matches("input, textarea, select");
    if (typing) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const key = event.key.toLowerCase();
    if (key === "c" || key === "/") {
      event.preventDefault();
      query.focus();
      return;
    }
    const form = item.querySelector('form[data-key="' + CSS.escape(key) + '"]');
    if (form) {
      event.preventDefault();
      submit(form);
    }
  });

  let timer = null;
  let latest = 0;
  query.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  query.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      const first = hits.querySelector("button:not(:disabled)");
      if (first) choose(first.dataset.label);
    }
  });

  async function search() {
    const q = query.value.trim();
    const mine = ++latest;
    // The hits shown answer the previous query: not pickable while this one runs.
    hits.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    if (!q) { hits.replaceChildren(); return; }
    const response = await fetch(correct.dataset.searchUrl + "?q=" + encodeURIComponent(q), {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    if (!response.ok || mine !== latest) return;
    const data = await response.json();
    hits.replaceChildren(...data.results.map(function (s) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.label = s.key;
      button.textContent = s.name + " ";
      const em = document.createElement("em");
      em.textContent = s.sci;
      button.append(em);
      button.addEventListener("click", function () { choose(s.key); });
      li.append(button);
      return li;
    }));
  }
})();

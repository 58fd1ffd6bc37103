/* Renders a classification job and keeps it current: WebSocket push first, polling as fallback. */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  /* Numbers and words come from the server's one formatter (birdsite/confidence.py), never from here. */
  function confText(p) { return p.confidence_text || ""; }

  function wikiLink(p, label, long) {
    if (!p.wikipedia_url) return null;
    var a = el("a", { href: p.wikipedia_url, target: "_blank", rel: "noopener noreferrer", className: "wiki",
                      "data-wikipedia": "", text: label });
    if (!long) a.setAttribute("aria-label", "Wikipedia: " + p.common_name + " (opens in a new tab)");
    return a;
  }

  function bar(p) {
    var fill = el("span");
    fill.style.width = Math.round(p.confidence * 100) + "%";  // CSSOM: allowed by the CSP, unlike style=""
    return el("span", { className: "bar", "aria-hidden": "true" }, [fill]);
  }

  /* Higher taxa say so beside the name: "genus" among species must not look like a species. */
  function rankBadge(p) {
    if (!p.taxon_rank || p.taxon_rank === "species") return null;
    return el("span", { className: "badge rank", "data-rank-badge": "", text: p.taxon_rank });
  }

  /* How much the model has seen of it: a species learned from 4 photos deserves less trust than one
     learned from many iNaturalist photos, whatever the confidence says. */
  function learnedFrom(p) {
    if (!p.learned_from) return null;
    return el("span", { className: "learned", "data-learned-from": "", text: " · learned from " + p.learned_from });
  }

  function topList(predictions) {
    var list = el("ol", { className: "top5", "data-top5": "" });
    predictions.forEach(function (p) {
      list.appendChild(el("li", { "data-rank": p.taxon_rank || "species" }, [
        el("span", { className: "name" }, [
          el("a", { href: p.species_url, text: p.common_name }),
          rankBadge(p),
          el("span", { className: "taxon" }, [
            el("em", { text: p.scientific_name }), document.createTextNode(" · " + (p.taxon_rank || "species")),
            learnedFrom(p),
          ]),
        ]),
        bar(p),
        el("span", { className: "conf", "data-conf": "", title: p.confidence_words, text: confText(p) }),
        wikiLink(p, "↗", false),
      ]));
    });
    return list;
  }

  /* "A species the model may not know" (issue 17): no species is named; the closest taxa it knows are
     listed to compare, and the sighting waits for the user to name it from the full taxonomy. */
  function renderUnknown(root, heading, answer) {
    root.appendChild(el("p", { className: "eyebrow", text: "Probably none of the species it knows" }));
    root.appendChild(el(heading, { className: "species unsure", "data-species": "", "data-answer-kind": "unknown",
                                   text: "A species the model may not know" }));
    root.appendChild(el("p", { className: "muted" }, [
      el("span", { className: "badge low", "data-unknown-species": "", text: "New to the model?" }),
      document.createTextNode(" It looks like none of the birds it was trained on (only " + confText(answer) +
        " likely to be one of them). The closest it knows:"),
    ]));
    if ((answer.closest || []).length) root.appendChild(topList(answer.closest));
  }

  /* A genus or family the probabilities support where no one species is sure. */
  function renderHigher(root, heading, answer, preds) {
    root.appendChild(el("p", { className: "eyebrow", text: "Most likely — a " + answer.rank + ", not one species" }));
    root.appendChild(el(heading, { className: "species", "data-species": "", "data-answer-kind": "higher_taxon",
                                   text: answer.common_name }, [rankBadge({ taxon_rank: answer.rank })]));
    root.appendChild(el("p", { className: "sci" }, [el("em", { text: answer.scientific_name || "" }),
      document.createTextNode(" · " + answer.rank)]));
    root.appendChild(el("p", { className: "confidence" }, [
      el("strong", { "data-confidence": "", text: confText(answer) }),
      document.createTextNode(" confident · " + answer.confidence_words),
    ]));
    root.appendChild(el("h3", { text: "Species it could be" }));
    root.appendChild(topList(preds));
  }

  function render(root, job) {
    root.dataset.status = job.status;
    root.dataset.verdict = job.verdict;
    root.replaceChildren();
    var preds = job.predictions || [];
    var top = preds[0];
    var answer = job.answer;
    root.dataset.answer = answer ? answer.kind : "";
    var heading = root.dataset.heading || "h2";
    if (job.verdict === "pending" || job.verdict === "running") {
      root.appendChild(el("div", { className: "working" }, [
        el("span", { className: "spinner", "aria-hidden": "true" }),
        el("strong", { text: job.verdict === "pending" ? "Waiting for a worker…" : "Identifying…" }),
      ]));
      var fill = el("span");
      fill.style.width = Math.max(5, job.progress) + "%";
      root.appendChild(el("div", { className: "progress" }, [fill]));
      return;
    }
    if (job.verdict === "failed") {
      root.appendChild(el(heading, { text: "This photo could not be identified" }));
      root.appendChild(el("p", { className: "error", "data-error": "", text: job.error || "Unknown error." }));
      return;
    }
    if (job.verdict === "no_bird") {
      root.appendChild(el(heading, { className: "species", "data-species": "", text: "No bird found" }));
      root.appendChild(el("p", { className: "muted", text: "The model sees no bird in this photo (bird score " +
        (job.bird_score_text || "") + "). Try a closer, sharper shot — or name it yourself in your sightings." }));
    } else if (answer && answer.kind === "unknown") {
      renderUnknown(root, heading, answer);
    } else if (answer && answer.kind === "higher_taxon" && (!top || answer.label !== top.label)) {
      renderHigher(root, heading, answer, preds);
    } else if (job.verdict === "sure") {
      var rank = top.taxon_rank && top.taxon_rank !== "species" ? " — a " + top.taxon_rank + ", not one species" : "";
      root.appendChild(el("p", { className: "eyebrow", text: "Most likely" + rank }));
      root.appendChild(el(heading, { className: "species", "data-species": "", text: top.common_name }, [rankBadge(top)]));
      root.appendChild(el("p", { className: "sci" }, [el("em", { text: top.scientific_name }),
        document.createTextNode(" · " + (top.taxon_rank || "species")), learnedFrom(top)]));
      root.appendChild(el("p", { className: "confidence" }, [
        el("strong", { "data-confidence": "", text: confText(top) }),
        document.createTextNode(" confident · " + top.confidence_words + " · "),
        wikiLink(top, "Read about it on Wikipedia ↗", true),
      ]));
      root.appendChild(el("h3", { text: "Top 5" }));
      root.appendChild(topList(preds));
    } else {
      root.appendChild(el(heading, { className: "species unsure", "data-species": "", text: "Not sure — compare these" }));
      root.appendChild(el("p", { className: "muted" }, [
        el("span", { className: "badge low", "data-low-confidence": "", text: "Low confidence" }),
        document.createTextNode(" The best guess, " + top.common_name + ", is only " + confText(top) +
          " likely (" + top.confidence_words + "). Open the candidates and compare them with your photo."),
      ]));
      root.appendChild(topList(preds));
    }
    if (!job.sighting_url && job.name_url) {
      root.appendChild(el("p", { className: "saved" }, [
        document.createTextNode("Kept as a photo, not a sighting. "),
        el("a", { href: job.name_url, "data-name-link": "", text: "Saw a bird? Name it →" }),
      ]));
    }
    if (job.sighting_url) {
      root.appendChild(el("p", { className: "saved" }, [
        document.createTextNode("Saved to your sightings. "),
        el("a", { href: job.sighting_url, "data-sighting-link": "",
                  text: answer && answer.kind === "unknown" ? "Name it from every species →" : "Confirm or rename →" }),
      ]));
    }
    root.appendChild(el("p", { className: "muted small", "data-taken": "",
      text: (job.taken ? "Taken " + takenText(job.taken) + " · " : "") + "Model " + (job.model_version || "?") }));
  }

  /* The camera's clock as it read, in the reader's own words for a date: no zone moves it. */
  function takenText(clock) {
    var p = clock.split(/[-T:]/).map(Number);
    var when = new Date(p[0], p[1] - 1, p[2], p[3], p[4]);
    return when.toLocaleDateString(undefined, { day: "numeric", month: "long", year: "numeric" }) + ", " +
      clock.slice(11, 16);
  }

  function finished(job) { return job.status === "succeeded" || job.status === "failed"; }

  /* Keep `root` current until the job finishes. Records in data-via how the final state arrived. */
  function watch(root, job) {
    var done = false, socket = null, pollTimer = null, delay = 500;
    function apply(next, via) {
      if (done || next.id !== job.id) return;
      job = next;
      render(root, job);
      if (finished(job)) {
        done = true;
        root.dataset.via = via;
        if (socket) socket.close();
        clearTimeout(pollTimer);
        root.dispatchEvent(new CustomEvent("job:finished", { detail: job, bubbles: true }));
      }
    }
    function fetchNow(via) {
      return fetch(job.status_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) apply(data, via); })
        .catch(function () {});
    }
    function poll() {
      if (done) return;
      fetchNow("poll").then(function () {
        if (done) return;
        delay = Math.min(delay * 1.5, 5000);
        pollTimer = setTimeout(poll, delay);
      });
    }
    function startPolling() {
      if (!done && pollTimer === null) { root.dataset.channel = "poll"; poll(); }
    }
    render(root, job);
    if (finished(job)) return;
    if (root.dataset.push !== "true" || !("WebSocket" in window)) { startPolling(); return; }
    try {
      socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/jobs/");
    } catch (e) { startPolling(); return; }
    var opened = false;
    var openTimer = setTimeout(function () { if (!opened) startPolling(); }, 3000);
    socket.onopen = function () {
      opened = true; clearTimeout(openTimer);
      root.dataset.channel = "socket";
      fetchNow("fetch");  // anything that happened before the socket opened
    };
    socket.onmessage = function (event) {
      var msg = JSON.parse(event.data);
      if (msg.type === "job") apply(msg.job, "socket");
    };
    socket.onclose = function () { clearTimeout(openTimer); if (!done) startPolling(); };
    socket.onerror = function () { /* onclose follows */ };
  }

  function mount(root, job) { watch(root, job); }

  function mountFromPage() {
    var root = document.querySelector("[data-result]");
    var data = document.getElementById("job-payload");
    if (root && data) mount(root, JSON.parse(data.textContent));
  }

  window.BirdResult = { mount: mount, mountFromPage: mountFromPage, render: render };
  /* The job page says so with data-mount; no inline script is needed (or allowed by the CSP). */
  if (document.querySelector("[data-result][data-mount]")) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountFromPage);
    else mountFromPage();
  }
})();

/* The job page's photo: draws the boxes of the birds found, lists each bird's answer when there are
   several, and lets the user drag a box of their own (mouse, pen or touch: pointer events; or the
   keyboard: arrows move, Shift+arrows resize) and send it to "Identify this part", which starts a new job
   on the same photo and opens its page. The upload page's preview uses the drawing part only. */
(function () {
  "use strict";

  var MIN_SIDE = 0.003;  // a press without a drag is not a box; the server says what is too small
  var KEY_STEP = 0.02, KEY_FINE = 0.005;  // of the photo per key press; with Alt, finer
  var KEY_START = [0.3, 0.3, 0.4, 0.4];  // the first arrow press puts a box in the middle to move from

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

  /* CSSOM, not style="": the CSP allows the one and forbids the other. */
  function place(node, box) {
    node.style.left = box[0] * 100 + "%";
    node.style.top = box[1] * 100 + "%";
    node.style.width = box[2] * 100 + "%";
    node.style.height = box[3] * 100 + "%";
  }

  function clamp(v) { return Math.min(1, Math.max(0, v)); }

  function birdsWithBoxes(job) {
    if (job.status !== "succeeded" || !job.is_bird) return [];
    var birds = job.birds || [];
    return birds.filter(function (b) {
      if (!b.box || !b.predictions || !b.predictions.length) return false;
      return birds.length > 1 || b.box[2] * b.box[3] < 0.95;  // one bird on the whole photo: no frame to draw
    });
  }

  /* Numbers and words come from the server's one formatter (birdsite/confidence.py). */
  function answerText(p) { return p.confidence_text + ", " + p.confidence_words; }

  /* What a bird is called: its answer where the model answers a genus/family or "a species it may not
     know" (issue 17), else its top prediction. */
  function named(b) {
    var a = b.answer, top = b.predictions[0];
    if (!a || a.kind === "species") return { name: top.common_name, url: top.species_url, text: answerText(top), kind: "species" };
    if (a.kind === "unknown") {
      var near = (a.closest || [])[0];
      return { name: "A species the model may not know", url: null, kind: "unknown",
               text: near ? "closest known: " + near.common_name : "" };
    }
    return { name: a.common_name, url: a.species_url, text: answerText(a), kind: a.kind };
  }

  function drawBirds(layer, job) {
    layer.querySelectorAll("[data-bird-box], [data-chosen-box]").forEach(function (n) { n.remove(); });
    if (job.region) {  // the part the user chose for this job, drawn even before (or without) an answer
      var chosen = el("div", { className: "chosen-box", "data-chosen-box": "", title: "The part you chose" });
      place(chosen, job.region);
      layer.appendChild(chosen);
    }
    var birds = birdsWithBoxes(job);
    var many = (job.birds || []).length > 1;
    birds.forEach(function (b) {
      var what = named(b);
      var box = el("div", { className: "bird-box", "data-bird-box": String(b.bird) });
      box.setAttribute("title", (many ? "Bird " + (b.bird + 1) + ": " : "") + what.name + " — " + what.text);
      if (many) box.appendChild(el("span", { className: "bird-box-number", "aria-hidden": "true", text: String(b.bird + 1) }));
      place(box, b.box);
      layer.appendChild(box);
    });
  }

  /* Each bird's own sighting: confirmed or renamed from here, not only bird 1 from the result card. */
  function sightingLink(job, b) {
    var url = (job.sighting_urls || {})[String(b.bird)];
    if (!url) return document.createTextNode("");
    return el("a", { href: url, className: "small", "data-bird-sighting": "" }, [
      document.createTextNode("Confirm or rename"),
      el("span", { className: "visually-hidden", text: " bird " + (b.bird + 1) }),
    ]);
  }

  function listBirds(list, job) {
    list.replaceChildren();
    var birds = job.status === "succeeded" && job.is_bird ? (job.birds || []) : [];
    if (birds.length < 2) { list.hidden = true; return; }
    list.appendChild(el("h2", { text: birds.length + " birds in this photo" }));
    var ol = el("ol", { className: "bird-list", "data-birds": "" });
    birds.forEach(function (b) {
      if (!b.predictions || !b.predictions[0]) return;
      var what = named(b);
      ol.appendChild(el("li", { "data-bird": String(b.bird), "data-answer-kind": what.kind }, [
        el("span", { className: "bird-box-number", "aria-hidden": "true", text: String(b.bird + 1) }),
        el("span", { className: "name" }, [
          el("span", { className: "visually-hidden", text: "Bird " + (b.bird + 1) + ": " }),
          what.url ? el("a", { href: what.url, "data-bird-name": "", text: what.name })
                   : el("span", { "data-bird-name": "", text: what.name }),
        ]),
        el("span", { className: "conf", "data-bird-confidence": "", text: what.text }),
        sightingLink(job, b),
      ]));
    });
    list.appendChild(ol);
    list.hidden = false;
  }

  function setup(stage) {
    var img = stage.querySelector("img");
    var layer = stage.querySelector("[data-region-layer]");
    var form = document.querySelector("[data-region-form]");
    var list = document.querySelector("[data-bird-list]");
    var errorBox = form.querySelector("[data-region-error]");
    var button = form.querySelector("[data-identify-region]");
    var draft = null, start = null, region = null, sending = false;
    form.hidden = false;  // without JavaScript there is nothing to drag, so no button either

    function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }

    function point(event) {
      var r = img.getBoundingClientRect();
      return [clamp((event.clientX - r.left) / r.width), clamp((event.clientY - r.top) / r.height)];
    }

    function boxFrom(a, b) {
      return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1])];
    }

    function drawDraft(box) {
      if (!draft) {
        draft = el("div", { className: "user-box", "data-user-box": "" });
        layer.appendChild(draft);
      }
      place(draft, box);
    }

    stage.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || sending) return;
      event.preventDefault();  // no image drag, no text selection
      stage.setPointerCapture(event.pointerId);
      start = point(event);
      drawDraft([start[0], start[1], 0, 0]);
      stage.classList.add("drawing");
    });
    stage.addEventListener("pointermove", function (event) {
      if (start) drawDraft(boxFrom(start, point(event)));
    });
    function finish(event) {
      if (!start) return;
      var box = boxFrom(start, point(event));
      start = null;
      stage.classList.remove("drawing");
      if (box[2] < MIN_SIDE || box[3] < MIN_SIDE) {
        if (draft) { draft.remove(); draft = null; }
        region = null;
        stage.dataset.region = "";
        return;
      }
      region = box;
      stage.dataset.region = box.map(function (v) { return v.toFixed(4); }).join(",");
      drawDraft(box);
      showError("");
      button.focus({ preventScroll: true });
    }
    stage.addEventListener("pointerup", finish);
    stage.addEventListener("pointercancel", function () {
      start = null;
      stage.classList.remove("drawing");
      if (draft && !region) { draft.remove(); draft = null; }
      else if (draft) place(draft, region);
    });

    /* Keyboard: the stage is focusable; arrows move the box, Shift+arrows resize it, Enter sends it,
       Escape clears it. Works from a dragged box too, to nudge it into place. */
    var MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    stage.addEventListener("keydown", function (event) {
      if (sending) return;
      if (event.key === "Enter" && region) { event.preventDefault(); form.requestSubmit(); return; }
      if (event.key === "Escape" && region) {
        event.preventDefault();
        if (draft) { draft.remove(); draft = null; }
        region = null;
        stage.dataset.region = "";
        return;
      }
      var move = MOVES[event.key];
      if (!move) return;
      event.preventDefault();  // no page scroll while drawing
      var step = event.altKey ? KEY_FINE : KEY_STEP;
      var box = (region || KEY_START).slice();
      if (region && event.shiftKey) {  // right/down grow, left/up shrink, from the top-left corner
        box[2] = Math.max(MIN_SIDE * 2, Math.min(1 - box[0], box[2] + move[0] * step));
        box[3] = Math.max(MIN_SIDE * 2, Math.min(1 - box[1], box[3] + move[1] * step));
      } else if (region) {
        box[0] = Math.min(1 - box[2], Math.max(0, box[0] + move[0] * step));
        box[1] = Math.min(1 - box[3], Math.max(0, box[1] + move[1] * step));
      }
      region = box;
      stage.dataset.region = box.map(function (v) { return v.toFixed(4); }).join(",");
      drawDraft(box);
      showError("");
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) return;
      if (!region) { showError("Drag a box around the bird on the photo first."); return; }
      sending = true;
      button.disabled = true;
      button.textContent = "Sending…";
      showError("");
      fetch(form.dataset.regionUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
                   "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ region: region }),
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; },
                             function () { return { ok: false, data: {} }; });
      }).then(function (res) {
        if (res.ok && res.data.url) { window.location.assign(res.data.url); return; }
        throw new Error(res.data.message || "This part could not be sent. Try again.");
      }).catch(function (err) {
        sending = false;
        button.disabled = false;
        button.textContent = "Identify this part";
        showError(err && err.message && err.message !== "Failed to fetch" ? err.message
          : "The server could not be reached. Try again.");
      });
    });

    function show(job) { drawBirds(layer, job); if (list) listBirds(list, job); }
    var data = document.getElementById("job-payload");
    if (data) show(JSON.parse(data.textContent));
    document.addEventListener("job:finished", function (event) { show(event.detail); });
  }

  function init() {
    var stage = document.querySelector("[data-region-stage]");
    if (stage && document.querySelector("[data-region-form]")) setup(stage);
  }
  window.BirdRegions = { draw: drawBirds, list: listBirds };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

/* Batches: choose or drop many files, a folder or a ZIP; upload them in groups; show live progress
   (WebSocket push first, polling as fallback) and, once finished, every file's outcome. */
(function () {
  "use strict";
  var GROUP = 32;  // files per request (Django accepts at most 100 per request)

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function duration(s) {
    if (s === null || s === undefined) return "—";
    s = Math.round(s);
    return s >= 60 ? Math.floor(s / 60) + " min " + (s % 60) + " s" : s + " s";
  }

  function cell(label, child) {
    var td = el("td", { "data-label": label });
    if (typeof child === "string") td.textContent = child; else if (child) td.appendChild(child);
    return td;
  }

  function renderItems(root, items) {
    var body = root.querySelector("[data-batch-items]");
    if (!body) return;
    body.replaceChildren();
    items.forEach(function (it) {
      var row = el("tr", { "data-outcome": it.outcome });
      var link = it.sighting_url || it.job_url;
      var file = cell("File", link ? el("a", { href: link }, it.name) : it.name);
      if (it.bird_text) {
        file.appendChild(document.createTextNode(" "));
        file.appendChild(el("span", { class: "muted small", "data-bird": "" }, it.bird_text));
      }
      row.appendChild(file);
      row.appendChild(cell("Outcome", it.outcome_text || it.outcome));
      var what = cell(it.species ? "Species" : "Reason", it.species || it.reason || "");
      if (it.taxon_rank && it.taxon_rank !== "species") {
        what.appendChild(document.createTextNode(" "));
        what.appendChild(el("span", { class: "badge rank" }, it.taxon_rank));
      }
      row.appendChild(what);
      if (it.answer_kind === "unknown") what.setAttribute("data-answer-kind", "unknown");
      var conf = cell("Confidence", it.answer_kind === "unknown" ? (it.closest ? "Closest known: " + it.closest : "") :
                      it.confidence_text ? it.confidence_text + " · " + it.confidence_words : "");
      if (it.low_confidence) {
        conf.appendChild(document.createTextNode(" "));
        conf.appendChild(el("span", { class: "badge low" }, "Low confidence"));
      }
      row.appendChild(conf);
      body.appendChild(row);
    });
    renderRefusals(root, items);
    root.dataset.itemsLoaded = "true";
  }

  /* Every refused or failed file by name, with its plain reason: none is summed away. */
  function renderRefusals(root, items) {
    var box = root.querySelector("[data-batch-refusals]");
    if (!box) return;
    box.replaceChildren();
    var bad = items.filter(function (it) { return it.outcome === "refused" || it.outcome === "failed"; });
    if (!bad.length) return;
    box.appendChild(el("h3", {}, bad.length === 1 ? "1 file was not identified" : bad.length + " files were not identified"));
    var list = el("ul", { class: "refusals", "data-refusal-list": "" });
    bad.forEach(function (it) { list.appendChild(el("li", {}, it.name + ": " + (it.reason || it.outcome))); });
    box.appendChild(list);
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  /* One line where every file is counted once, in the words of the table below it. */
  function breakdown(b) {
    var waiting = (b.queued || 0) + (b.running || 0), toSend = Math.max(0, b.total - b.received);
    var parts = [
      [b.succeeded - (b.no_bird || 0), "identified"], [b.no_bird || 0, "no bird"],
      [b.failed - b.refused, "failed"], [b.refused, "refused"], [b.duplicates, "already seen"],
      [b.cancelled || 0, "cancelled"], [b.removed || 0, "deleted since"], [waiting, "to identify"],
      [toSend, "still to upload"]
    ].filter(function (p) { return p[0] > 0; }).map(function (p) { return p[0] + " " + p[1]; });
    return plural(b.total, "file", "files") + (parts.length ? ": " + parts.join(" · ") : "");
  }

  function render(root, b) {
    ["status", "percent", "done", "failed", "total"].forEach(function (k) { root.dataset[k] = b[k]; });
    var bar = root.querySelector("[data-batch-bar]");
    bar.style.width = b.percent + "%";
    bar.parentNode.setAttribute("aria-valuenow", b.percent);
    var summary = root.querySelector("[data-batch-summary]");
    if (summary) summary.textContent = breakdown(b);
    root.querySelector("[data-batch-rate]").textContent = b.finished
      ? (b.status === "cancelled" ? "Cancelled." : "Finished.") +
        (b.images_per_second ? " " + b.images_per_second.toFixed(1) + " images/s." : "")
      : (b.images_per_second ? b.images_per_second.toFixed(1) + " images/s · about " + duration(b.seconds_left) + " left"
                             : "Waiting for a worker…");
    var cancel = root.querySelector("[data-batch-cancel]");
    if (cancel) { cancel.hidden = b.finished; cancel.action = b.cancel_url; }
    var link = root.querySelector("[data-batch-link]");
    if (link) { link.href = b.url; link.hidden = false; }
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; });
  }

  /* Keep `root` current until the batch finishes; data-via says how the last state arrived. */
  function mount(root, batch) {
    var done = false, socket = null, timer = null, delay = 700;
    function apply(next, via) {
      if (done || !next || next.id !== batch.id) return;
      batch = next;
      render(root, batch);
      root.dataset.via = via;
      if (batch.finished) {
        done = true;
        if (socket) socket.close();
        clearTimeout(timer);
        getJSON(batch.items_url).then(function (data) { if (data) renderItems(root, data.items); });
        root.dispatchEvent(new CustomEvent("batch:finished", { detail: batch, bubbles: true }));
      }
    }
    function poll() {
      if (done) return;
      getJSON(batch.status_url).then(function (d) { apply(d, "poll"); }, function () {}).then(function () {
        if (done) return;
        delay = Math.min(delay * 1.4, 5000);
        timer = setTimeout(poll, delay);
      });
    }
    function startPolling() { if (!done && timer === null) { root.dataset.channel = "poll"; poll(); } }
    root.refresh = function () { getJSON(batch.status_url).then(function (d) { apply(d, "fetch"); }); };
    render(root, batch);
    if (batch.finished) { apply(batch, "page"); done = true; return; }
    if (root.dataset.push !== "true" || !("WebSocket" in window)) { startPolling(); return; }
    try {
      socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/jobs/");
    } catch (e) { startPolling(); return; }
    var opened = false;
    var openTimer = setTimeout(function () { if (!opened) startPolling(); }, 3000);
    socket.onopen = function () { opened = true; clearTimeout(openTimer); root.dataset.channel = "socket"; root.refresh(); };
    socket.onmessage = function (event) {
      var msg = JSON.parse(event.data);
      if (msg.type === "batch") apply(msg.batch, "socket");
    };
    socket.onclose = function () { clearTimeout(openTimer); if (!done) startPolling(); };
  }

  /* Folder drops: walk the directory entries (Chromium, Firefox, Safari). */
  function filesFromDrop(dataTransfer) {
    var entries = [];
    Array.prototype.forEach.call(dataTransfer.items || [], function (item) {
      var entry = item.webkitGetAsEntry && item.webkitGetAsEntry();
      if (entry) entries.push(entry);
    });
    if (!entries.length) return Promise.resolve(Array.prototype.slice.call(dataTransfer.files));
    function walk(entry) {
      if (entry.isFile) return new Promise(function (ok) { entry.file(function (f) { ok([f]); }, function () { ok([]); }); });
      var reader = entry.createReader(), all = [];
      return new Promise(function (ok) {
        (function next() {
          reader.readEntries(function (batch) {
            if (!batch.length) { Promise.all(all.map(walk)).then(function (l) { ok([].concat.apply([], l)); }); return; }
            all = all.concat(batch); next();
          }, function () { ok([]); });
        })();
      });
    }
    return Promise.all(entries.map(walk)).then(function (lists) { return [].concat.apply([], lists); });
  }

  /* What the server made of what was sent: never "all uploaded" when some were refused. */
  function sentSummary(b, sent) {
    var parts = [plural(sent, "file sent", "files sent")];
    var accepted = b.received - b.refused - b.duplicates;
    parts.push(accepted + " accepted");
    if (b.refused) parts.push(b.refused + " refused (listed with the batch)");
    if (b.duplicates) parts.push(plural(b.duplicates, "already seen", "already seen"));
    return parts.join(" · ") + ".";
  }

  /* The "Your batches" list, fetched again when a batch finishes (its counts and status changed). */
  function refreshList() {
    var list = document.querySelector("[data-batch-list]");
    if (!list) return;
    fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-batch-list]");
        if (fresh) { list.replaceWith(fresh); fresh.dataset.refreshed = "true"; }
      })
      .catch(function () {});
  }

  function setupUploader(box) {
    document.addEventListener("batch:finished", refreshList);
    var csrf = box.querySelector("[name=csrfmiddlewaretoken]").value;
    var status = box.querySelector("[data-upload-status]");
    var errorBox = box.querySelector("[data-upload-error]");
    var slot = document.querySelector("[data-batch-slot]");
    var template = document.getElementById("batch-template");
    function post(url, body) {
      return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                          headers: { "X-CSRFToken": csrf, Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); });
    }
    /* The refusal and, for an archive, every problem it has by name (not "1 more problem(s)"). */
    function fail(text, problems) {
      errorBox.replaceChildren(document.createTextNode(text));
      if (problems && problems.length) {
        var list = el("ul", { class: "refusals", "data-problem-list": "" });
        problems.forEach(function (p) { list.appendChild(el("li", {}, (p.name || "archive") + ": " + p.message)); });
        errorBox.appendChild(list);
      }
      errorBox.hidden = false; status.textContent = "";
    }
    function show(batch) {
      var root = template.content.firstElementChild.cloneNode(true);
      root.dataset.push = box.dataset.push;
      slot.replaceChildren(root);
      mount(root, batch);
      return root;
    }
    function send(files) {
      files = files.filter(function (f) { return f.name.charAt(0) !== "."; });
      if (!files.length) { fail("No files to upload."); return; }
      errorBox.hidden = true;
      var body = new FormData(), sent = 0, root = null, batch = null;
      if (files.length === 1 && /\.zip$/i.test(files[0].name)) {
        body.append("archive", files[0], files[0].name);
        status.textContent = "Uploading the archive…";
        post(box.dataset.createUrl, body).then(function (res) {
          if (!res.ok) { fail(res.data.message || "The archive was refused.", (res.data.details || {}).problems); return; }
          status.textContent = ""; show(res.data);
        }, function () { fail("The upload failed. Check your connection and try again."); });
        return;
      }
      function group(url, extra) {
        var form = new FormData();
        Object.keys(extra).forEach(function (k) { form.append(k, extra[k]); });
        files.slice(sent, sent + GROUP).forEach(function (f) { form.append("files", f, f.webkitRelativePath || f.name); });
        return post(url, form);
      }
      function next(res) {
        if (!res.ok) { fail(res.data.message || "The upload was refused."); return; }
        sent = Math.min(sent + GROUP, files.length);
        batch = res.data;
        if (!root) root = show(batch); else if (root.refresh) root.refresh();
        status.textContent = sent < files.length ? "Uploading " + sent + " of " + files.length + " files…"
          : sentSummary(batch, files.length);
        box.dataset.uploaded = sent;
        if (sent < files.length) group(batch.files_url, {}).then(next, onError);
      }
      function onError() { fail("The upload stopped. Files already sent are being identified."); }
      status.textContent = "Uploading " + files.length + " files…";
      group(box.dataset.createUrl, { expected: files.length }).then(next, onError);
    }
    box.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () { send(Array.prototype.slice.call(input.files)); input.value = ""; });
    });
    var drop = box.querySelector("[data-batch-drop]");
    ["dragenter", "dragover"].forEach(function (t) { drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); }); });
    ["dragleave", "drop"].forEach(function (t) { drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("over"); }); });
    drop.addEventListener("drop", function (e) { filesFromDrop(e.dataTransfer).then(send); });
  }

  var box = document.querySelector("[data-batch-uploader]");
  if (box) setupUploader(box);
  var root = document.querySelector("[data-batch]");
  var payload = document.getElementById("batch-payload");
  if (root && payload) mount(root, JSON.parse(payload.textContent));
  window.BirdBatch = { mount: mount, render: render };
})();

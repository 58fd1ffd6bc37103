/* Upload page: file input, drag and drop, in-browser camera (getUserMedia) and the phone capture input. */
(function () {
  "use strict";
  var box = document.querySelector("[data-uploader]");
  if (!box) return;
  var form = box.querySelector("[data-upload-form]");
  var drop = box.querySelector("[data-dropzone]");
  var fileInput = box.querySelector("[data-file-input]");
  var captureInput = box.querySelector("[data-capture-input]");
  var errorBox = box.querySelector("[data-upload-error]");
  var preview = document.querySelector("[data-preview]");
  var previewImg = document.querySelector("[data-preview-img]");
  var previewLayer = document.querySelector("[data-preview-layer]");
  var previewBirds = document.querySelector("[data-preview-birds]");
  var slot = document.querySelector("[data-result-slot]");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }

  /* No photo on show: after a refusal the file sent may be no picture at all (a broken image). */
  function clearPreview() {
    if (previewImg.src) URL.revokeObjectURL(previewImg.src);
    previewImg.removeAttribute("src");
    preview.hidden = true;
    if (previewLayer) previewLayer.replaceChildren();
    if (previewBirds) { previewBirds.replaceChildren(); previewBirds.hidden = true; }
  }
  previewImg.addEventListener("error", function () { if (previewImg.getAttribute("src")) clearPreview(); });

  /* Bring the result card's top (the species name) into view below the sticky header, if it is not; on
     a phone the photo with its boxes sits above the name (regions.css), so from the photo's top. */
  function reveal(result) {
    var header = document.querySelector(".topbar");
    var below = header ? header.getBoundingClientRect().bottom : 0;
    var first = result, top = result.getBoundingClientRect().top, nameBottom = top + 120;
    var photo = preview.hidden ? null : preview.getBoundingClientRect();
    if (photo && photo.top < top) { first = preview; top = photo.top; }
    if (top >= below && nameBottom <= window.innerHeight) return;
    var smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    first.scrollIntoView({ block: "start", behavior: smooth ? "smooth" : "auto" });
  }

  /* Several files dropped here: offer them as one batch instead of silently taking the first. */
  var offer = box.querySelector("[data-batch-offer]");
  var offered = [];
  function offerBatch(files) {
    offered = files;
    offer.querySelector("[data-offer-count]").textContent = files.length;
    offer.hidden = false;
    offer.querySelector("[data-offer-batch]").focus();
  }
  function sendBatch(files) {
    var GROUP = 32, sent = 0, url = offer.dataset.createUrl;
    var status = offer.querySelector("[data-offer-status]");
    function group(target, extra) {
      var body = new FormData();
      Object.keys(extra).forEach(function (k) { body.append(k, extra[k]); });
      files.slice(sent, sent + GROUP).forEach(function (f) { body.append("files", f, f.name); });
      return fetch(target, { method: "POST", body: body, credentials: "same-origin",
                             headers: { "X-CSRFToken": csrf, Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); });
    }
    function next(res) {
      if (!res.ok) { status.textContent = res.data.message || "The batch was refused."; return; }
      sent = Math.min(sent + GROUP, files.length);
      status.textContent = "Uploaded " + sent + " of " + files.length + "…";
      if (sent < files.length) group(res.data.files_url, {}).then(next, failed);
      else window.location.assign(res.data.url);
    }
    function failed() { status.textContent = "The upload stopped. Files already sent are being identified."; }
    status.textContent = "Uploading " + files.length + " photos…";
    group(url, { expected: files.length }).then(next, failed);
  }
  if (offer) {
    offer.querySelector("[data-offer-batch]").addEventListener("click", function () { sendBatch(offered); });
    offer.querySelector("[data-offer-first]").addEventListener("click", function () {
      offer.hidden = true; if (offered[0]) upload(offered[0], offered[0].name);
    });
  }

  function upload(blob, name) {
    showError("");
    clearPreview();
    previewImg.src = URL.createObjectURL(blob);
    preview.hidden = false;
    var result = document.createElement("section");
    result.className = "result card";
    result.setAttribute("data-result", "");
    result.setAttribute("aria-live", "polite");
    result.dataset.push = box.dataset.push;
    result.innerHTML = '<div class="working"><span class="spinner" aria-hidden="true"></span><strong>Uploading…</strong></div>';
    slot.replaceChildren(result);
    reveal(result);
    result.addEventListener("job:finished", function (event) {
      reveal(result);
      if (window.BirdRegions && event.detail) {  // the boxes of the birds found, on the photo just sent
        window.BirdRegions.draw(previewLayer, event.detail);
        window.BirdRegions.list(previewBirds, event.detail);
      }
    });
    var body = new FormData();
    body.append("image", blob, name);
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                         headers: { "X-CSRFToken": csrf, Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (res) {
        if (!res.ok) {
          slot.replaceChildren();
          clearPreview();
          showError(typeof res.data.message === "string" ? res.data.message : "The upload was refused.");
          return;
        }
        result.dataset.jobId = res.data.id;
        window.BirdResult.mount(result, res.data);
      })
      .catch(function () {
        slot.replaceChildren();
        clearPreview();
        showError("The upload failed. Check your connection and try again.");
      });
  }

  function fromInput(input) {
    if (input.files && input.files[0]) upload(input.files[0], input.files[0].name);
    input.value = "";
  }
  fileInput.addEventListener("change", function () { fromInput(fileInput); });
  captureInput.addEventListener("change", function () { fromInput(captureInput); });

  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    var files = Array.prototype.slice.call((e.dataTransfer && e.dataTransfer.files) || []);
    if (files.length > 1 && offer) offerBatch(files);
    else if (files[0]) upload(files[0], files[0].name);
  });

  /* Camera: live preview in a <video>, snapshot through a <canvas>, upload as JPEG. */
  var camera = box.querySelector("[data-camera]");
  var video = box.querySelector("[data-camera-video]");
  var canvas = box.querySelector("[data-camera-canvas]");
  var shoot = box.querySelector("[data-camera-shoot]");
  var cameraStatus = box.querySelector("[data-camera-status]");
  var openButton = box.querySelector("[data-camera-open]");
  var stream = null;
  var hasCamera = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  if (!hasCamera) openButton.hidden = true;         // phones without it still have the capture input
  else box.classList.add("has-camera");

  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null; video.srcObject = null; camera.hidden = true; shoot.disabled = true;
  }
  openButton.addEventListener("click", function () {
    camera.hidden = false; cameraStatus.textContent = "Starting the camera…";
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false })
      .then(function (s) {
        stream = s; video.srcObject = s;
        video.onloadedmetadata = function () {
          cameraStatus.textContent = "Frame the bird, then take the picture.";
          shoot.disabled = false; camera.dataset.ready = "true";
        };
      })
      .catch(function (err) {
        // Refused or absent: the phone's own camera app, through the capture input, may still work.
        box.classList.remove("has-camera");
        openButton.hidden = true;
        video.hidden = shoot.hidden = true;  // no black frame and no shutter where no picture will come
        cameraStatus.textContent = "The camera is not available here (" + err.name + "). " +
          "Use \u201cTake a photo\u201d or choose a file instead.";
        captureInput.focus();
      });
  });
  box.querySelector("[data-camera-close]").addEventListener("click", stopCamera);
  shoot.addEventListener("click", function () {
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      stopCamera();
      if (blob) upload(blob, "camera.jpg"); else showError("Could not take the picture.");
    }, "image/jpeg", 0.92);
  });
})();

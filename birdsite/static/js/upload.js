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
  var slot = document.querySelector("[data-result-slot]");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }

  function upload(blob, name) {
    showError("");
    if (previewImg.src) URL.revokeObjectURL(previewImg.src);
    previewImg.src = URL.createObjectURL(blob);
    preview.hidden = false;
    var result = document.createElement("section");
    result.className = "result card";
    result.setAttribute("data-result", "");
    result.setAttribute("aria-live", "polite");
    result.dataset.push = box.dataset.push;
    result.innerHTML = '<div class="working"><span class="spinner" aria-hidden="true"></span><strong>Uploading…</strong></div>';
    slot.replaceChildren(result);
    if (window.matchMedia("(max-width: 760px)").matches) result.scrollIntoView({ behavior: "smooth" });
    var body = new FormData();
    body.append("image", blob, name);
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                         headers: { "X-CSRFToken": csrf, Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (res) {
        if (!res.ok) {
          slot.replaceChildren();
          showError(typeof res.data.error === "string" ? res.data.error : "The upload was refused.");
          return;
        }
        result.dataset.jobId = res.data.id;
        window.BirdResult.mount(result, res.data);
      })
      .catch(function () { slot.replaceChildren(); showError("The upload failed. Check your connection and try again."); });
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
    var file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) upload(file, file.name);
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
        cameraStatus.textContent = "The camera is not available (" + err.name + "). Choose a file instead.";
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

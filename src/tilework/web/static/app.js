// Tilework dashboard: the few lines htmx does not do. Loaded with `defer`, after htmx.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  // Every htmx request carries the session's CSRF token (forms also carry it as a field).
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (csrf) event.detail.headers["X-CSRF-Token"] = csrf;
  });

  // The run form: a chosen file goes straight to its signed upload form (as the API's
  // get_upload_url flow does), with progress; then the form is submitted with the upload's id.
  document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var inputs = Array.prototype.filter.call(
        form.querySelectorAll('input[type="file"][data-upload-for]'),
        function (input) { return input.files && input.files.length > 0; }
      );
      if (inputs.length === 0 || form.dataset.uploaded === "yes") return;
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      if (button) button.setAttribute("aria-busy", "true");
      inputs.reduce(function (done, input) {
        return done.then(function () { return uploadOne(form, input); });
      }, Promise.resolve()).then(function () {
        form.dataset.uploaded = "yes";
        form.submit();
      }).catch(function (error) {
        if (button) button.removeAttribute("aria-busy");
        say(form, "Upload failed: " + error.message);
      });
    });
  });

  function uploadOne(form, input) {
    var nodeId = input.getAttribute("data-upload-for");
    var bar = document.getElementById("upload-progress-" + nodeId);
    return fetch(form.getAttribute("data-upload-url"), {
      method: "POST",
      headers: { "X-CSRF-Token": csrf },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) throw new Error("could not reserve an upload (HTTP " + response.status + ")");
      return response.json();
    }).then(function (ticket) {
      return send(ticket, input.files[0], bar).then(function () {
        form.querySelector('input[name="video_id_' + nodeId + '"]').value = ticket.video_id;
      });
    });
  }

  function send(ticket, file, bar) {
    return new Promise(function (resolve, reject) {
      var body = new FormData();
      Object.keys(ticket.upload_fields).forEach(function (name) {
        body.append(name, ticket.upload_fields[name]);
      });
      body.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", ticket.upload_url);
      if (bar) {
        bar.hidden = false;
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
        });
      }
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) { if (bar) bar.value = 100; resolve(); }
        else reject(new Error(describe(xhr)));
      };
      xhr.onerror = function () { reject(new Error("the connection failed")); };
      xhr.send(body);
    });
  }

  function describe(xhr) {
    try { return JSON.parse(xhr.responseText).detail; } catch (e) { return "HTTP " + xhr.status; }
  }

  function say(form, text) {
    var status = form.querySelector("[data-upload-status]");
    if (status) status.textContent = text;
  }
})();

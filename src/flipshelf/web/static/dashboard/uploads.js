/* flipshelf dashboard: uploads, one request per file in order, each with its progress bar,
   from the file input or a drop; then each book's conversion, polled by dashboard.js. */
(function () {
  "use strict";

  var shared = window.FlipshelfDashboard;
  var CSRF = shared.CSRF;
  var applyBook = shared.applyBook;
  var watch = shared.watch;

  /* ---- uploads: one request per file, in order, each with its progress bar ---- */
  function uploadRow(list, file) {
    var row = document.createElement("li");
    row.className = "ds-upload";
    var name = document.createElement("span");
    name.className = "ds-upload-name";
    name.textContent = file.name;
    var box = document.createElement("span");
    box.className = "ds-upload-state";
    var bar = document.createElement("progress");
    bar.className = "ds-progress";
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var state = document.createElement("span");
    state.className = "ds-state";
    state.setAttribute("data-state", "");
    state.textContent = "Waiting to upload";
    box.append(bar, state);
    row.append(name, box);
    list.append(row);
    return row;
  }

  function send(url, body, row) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      var bar = row.querySelector("progress");
      var state = row.querySelector("[data-state]");
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRF-Token", CSRF);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) {
          bar.value = Math.round(event.loaded / event.total * 100);
          state.textContent = "Uploading: " + bar.value + "%";
        }
      };
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = { error: "the server's answer was unreadable" }; }
        resolve({ ok: xhr.status >= 200 && xhr.status < 300, body: body });
      };
      xhr.onerror = function () { resolve({ ok: false, body: { error: "the connection failed" } }); };
      state.textContent = "Uploading: 0%";
      xhr.send(body);
    });
  }

  function setUpUploads(form) {
    var list = form.nextElementSibling;
    var input = form.querySelector('input[type="file"]');
    var zone = form.querySelector("[data-dropzone]");
    var isNew = form.getAttribute("data-upload") === "new";
    var target = form.getAttribute("action");
    var queue = [];
    var running = false;

    function next() {
      if (queue.length === 0) { running = false; return; }
      running = true;
      var item = queue.shift();
      var body = new FormData();
      body.append("csrf", CSRF);
      if (isNew && target === form.getAttribute("action")) {
        form.querySelectorAll(".ds-fields input, .ds-fields select").forEach(function (field) {
          body.append(field.name, field.value);
        });
      }
      body.append("file", item.file, item.file.name);
      send(target, body, item.row).then(function (answer) {
        var state = item.row.querySelector("[data-state]");
        if (!answer.ok) {
          item.row.setAttribute("data-failed", "");
          item.row.querySelector("progress").value = 0;
          state.textContent = "Refused: " + (answer.body.error || "unknown reason");
        } else {
          var book = answer.body.books[answer.body.books.length - 1];
          item.row.setAttribute("data-book", book.hash);
          applyBook(item.row, book);
          if (isNew) {
            target = answer.body.url + "/books";
            var done = document.querySelector("[data-upload-done]");
            if (done) {
              done.hidden = false;
              done.querySelector("a").setAttribute("href", answer.body.url);
            }
          }
          watch(answer.body.collection);
        }
        next();
      });
    }

    function add(files) {
      Array.from(files).forEach(function (file) {
        queue.push({ file: file, row: uploadRow(list, file) });
      });
      if (!running) { next(); }
    }

    input.addEventListener("change", function () {
      if (input.files.length) { add(input.files); }
      input.value = "";
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("ds-over");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("ds-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("ds-over");
      if (event.dataTransfer && event.dataTransfer.files.length) { add(event.dataTransfer.files); }
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(setUpUploads);

})();

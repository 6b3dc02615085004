/* flipshelf dashboard: live conversion progress, uploads with progress bars (file input and
   drag and drop), copy buttons, the embed code's options and the offline package. Plain script,
   no build step. Everything the owner typed is set with textContent, never as markup. */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.getAttribute("content") : "";
  var POLL_MS = 1000;

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); });
  }

  function postJson(url) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": CSRF }
    }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); });
  }

  /* ---- conversion state of a book: the same words as the page's template ---- */
  function stateText(book) {
    if (book.status === "COMPLETE") {
      return "COMPLETE · " + book.pageCount + " page" + (book.pageCount === 1 ? "" : "s");
    }
    if (book.status === "FAILED") { return "FAILED: " + (book.error || "conversion failed"); }
    if (book.pageCount) { return "Converting: " + book.pagesReady + " of " + book.pageCount + " pages"; }
    return "Waiting to convert";
  }

  function applyBook(element, book) {
    element.setAttribute("data-status", book.status);
    var bar = element.querySelector("progress");
    var state = element.querySelector("[data-state]");
    if (bar) {
      bar.max = book.pageCount || 1;
      bar.value = book.status === "COMPLETE" ? bar.max : (book.pageCount ? book.pagesReady : 0);
    }
    if (state) { state.textContent = stateText(book); }
  }

  function applyCollection(view) {
    view.books.forEach(function (book) {
      document.querySelectorAll('[data-book="' + book.hash + '"]').forEach(function (el) {
        applyBook(el, book);
      });
    });
    var tile = document.querySelector('[data-collection="' + view.collection + '"]');
    if (tile) {
      tile.setAttribute("data-processing", view.processing ? "true" : "false");
      var missing = tile.querySelector("[data-thumb-missing]");
      if (missing && view.thumbnail) {
        var img = document.createElement("img");
        img.src = view.thumbnail;
        img.alt = "";
        img.setAttribute("data-thumb", "");
        missing.replaceWith(img);
      }
    }
  }

  /* ---- polling: the collections whose books still convert ---- */
  var watched = new Set();
  var polling = false;

  function watch(hash) {
    watched.add(hash);
    if (!polling) { polling = true; setTimeout(poll, POLL_MS); }
  }

  function poll() {
    if (watched.size === 0) { polling = false; return; }
    var hashes = Array.from(watched);
    var url = hashes.length === 1
      ? base() + "/c/" + hashes[0] + "/status.json"
      : base() + "/status.json?" + hashes.map(function (h) { return "c=" + encodeURIComponent(h); }).join("&");
    getJson(url).then(function (answer) {
      if (!answer.ok) { return; }
      var views = hashes.length === 1 ? [answer.body] : hashes.map(function (h) { return answer.body.collections[h]; });
      views.forEach(function (view) {
        applyCollection(view);
        if (!view.processing) { watched.delete(view.collection); }
      });
    }).catch(function () { /* the next round tries again */ })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  /* "/dashboard" under whatever prefix the server is mounted at: the brand links there. */
  function base() {
    var brand = document.querySelector(".ds-brand");
    return brand ? brand.getAttribute("href").replace(/\/$/, "") : "/dashboard";
  }

  document.querySelectorAll("[data-collection]").forEach(function (tile) {
    if (tile.getAttribute("data-processing") === "true") { watch(tile.getAttribute("data-collection")); }
  });
  document.querySelectorAll("[data-poll-collection]").forEach(function (section) {
    if (section.querySelector('[data-status="PROCESSING"]')) {
      watch(section.getAttribute("data-poll-collection"));
    }
  });

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

  /* ---- copy buttons ---- */
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.querySelector(button.getAttribute("data-copy"));
      var status = button.parentElement.querySelector("[data-copy-status]");
      function said(text) { if (status) { status.textContent = text; } }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(function () { said("Copied."); }, function () {
          field.select();
          said("Selected: press Ctrl+C (or ⌘C) to copy.");
        });
      } else {
        field.select();
        said("Selected: press Ctrl+C (or ⌘C) to copy.");
      }
    });
  });

  /* ---- the embed code follows its options as they change ---- */
  var options = document.querySelector("[data-embed-options]");
  if (options) {
    var code = document.querySelector("[data-embed-code]");
    var frame = document.querySelector("[data-embed-preview]");
    var preset = options.querySelector("#preset");
    var width = options.querySelector("#width");
    var height = options.querySelector("#height");
    var status = document.createElement("p");
    status.className = "ds-alert ds-error";
    status.setAttribute("role", "alert");
    status.hidden = true;
    options.append(status);
    var timer = null;

    /* The preview is as tall as the player it shows, plus the page's margins. */
    var fit = function () {
      var tall = parseInt(height.value || height.getAttribute("placeholder"), 10) || 385;
      var responsive = options.querySelector('[name="responsive"]').checked;
      if (responsive) {
        var wide = parseInt(width.value || width.getAttribute("placeholder"), 10) || 650;
        tall = Math.round(frame.clientWidth * tall / wide);
      }
      frame.style.height = Math.min(Math.max(tall + 24, 200), 1200) + "px";
    };
    fit();

    var refresh = function () {
      var query = new URLSearchParams();
      new FormData(options).forEach(function (value, name) { if (value !== "") { query.append(name, value); } });
      getJson(options.getAttribute("data-code-url") + "?" + query.toString()).then(function (answer) {
        if (!answer.ok) {
          status.textContent = answer.body.error || "These options do not work.";
          status.hidden = false;
          return;
        }
        status.hidden = true;
        code.value = answer.body.code;
        fit();
        if (frame.getAttribute("src") !== answer.body.preview) { frame.setAttribute("src", answer.body.preview); }
        history.replaceState(null, "", "?" + query.toString());
      });
    };

    preset.addEventListener("change", function () {
      if (preset.value.indexOf("x") > 0) {
        var size = preset.value.split("x");
        width.value = size[0];
        height.value = size[1];
      } else if (preset.value === "") {
        width.value = "";
        height.value = "";
      }
    });
    [width, height].forEach(function (field) {
      field.addEventListener("input", function () { preset.value = "custom"; });
    });
    options.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
    options.addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
  }

  /* ---- the offline package: build, watch, then download ---- */
  var pack = document.querySelector("[data-package]");
  if (pack) {
    var button = pack.querySelector("[data-package-button]");
    var bar = pack.querySelector("[data-package-progress]");
    var state = pack.querySelector("[data-package-state]");
    var building = function () {
      postJson(pack.getAttribute("data-package-url")).then(function (answer) {
        if (!answer.ok) {
          state.textContent = answer.body.error || "The package could not be built.";
          bar.hidden = true;
          button.disabled = false;
          return;
        }
        state.textContent = answer.body.text;
        if (answer.body.status === "PROCESSING") { setTimeout(building, POLL_MS); return; }
        bar.hidden = true;
        button.disabled = false;
        if (answer.body.status === "COMPLETE") {
          pack.setAttribute("data-ready", "true");
          button.textContent = "Download the package";
        }
      });
    };
    pack.addEventListener("submit", function (event) {
      if (pack.getAttribute("data-ready") === "true") { return; }  /* the form downloads */
      event.preventDefault();
      button.disabled = true;
      bar.hidden = false;
      state.textContent = "Building the offline package…";
      building();
    });
  }
})();

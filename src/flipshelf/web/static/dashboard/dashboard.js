/* flipshelf dashboard, on every page: live conversion progress and copy buttons; what the
   other scripts share is window.FlipshelfDashboard. Plain script, no build step. Everything
   the owner typed is set with textContent, never as markup. */
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

  window.FlipshelfDashboard = {
    CSRF: CSRF,
    POLL_MS: POLL_MS,
    getJson: getJson,
    postJson: postJson,
    applyBook: applyBook,
    watch: watch
  };
})();

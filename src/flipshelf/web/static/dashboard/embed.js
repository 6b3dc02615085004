/* flipshelf dashboard: the embed code follows its options (and the preview its code), and the
   offline package is built, watched and downloaded. */
(function () {
  "use strict";

  var shared = window.FlipshelfDashboard;
  var POLL_MS = shared.POLL_MS;
  var getJson = shared.getJson;
  var postJson = shared.postJson;

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

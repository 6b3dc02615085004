/* The player: reads its configuration, puts a flipbook on the stage, wires buttons, keys, the
 * shelf, deep links and reader events. How it all fits: docs/player.md. */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});

  function readConfig() {
    const offline = window.FLIPSHELF_OFFLINE;
    if (offline && offline.config) return offline.config;
    return JSON.parse(document.getElementById("flipshelf-config").textContent);
  }

  /* "#book=2&page=5" (or "#page=5"): where a deep link opens. */
  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const page = parseInt(params.get("page"), 10);
    const book = parseInt(params.get("book"), 10);
    return { page: page > 0 ? page : null, book: book > 0 ? book : null };
  }

  function typing(target) {
    return !!target.closest && !!target.closest("input, textarea, select, [contenteditable]");
  }

  class Player {
    constructor(config) {
      this.config = config;
      this.books = config.books || [];
      this.source = Flipshelf.sourceFor(config);
      this.rtl = !!config.rtl;
      this.reducedMotion = matchMedia("(prefers-reduced-motion: reduce)").matches;
      this.area = document.getElementById("fs-book-area");
      this.status = document.getElementById("fs-status");
      this.notice = document.getElementById("fs-notice");
      this.pageInput = document.getElementById("fs-page-input");
      this.pageTotal = document.getElementById("fs-page-total");
      this.bookTitle = document.getElementById("fs-book-title");
      this.events = new Flipshelf.ReaderEvents(config.events || null, config.collection);
      this.zoom = new Flipshelf.Zoom(
        document.getElementById("fs-zoom"),
        document.getElementById("fs-zoom-content"),
        this.area
      );
      this.pinch = new Flipshelf.Pinch(document.getElementById("fs-stage"), (step) =>
        this.act(step > 0 ? "zoom-in" : "zoom-out")
      );
      this.panels = new Flipshelf.Panels(this);
      this.book = null;
      this.bookIndex = -1;
      this.firstPainted = false;
    }

    start() {
      if (this.rtl) document.documentElement.setAttribute("dir", "ltr"); // layout mirrors via data-rtl only
      this.wireControls();
      this.renderShelf();
      const deep = readHash();
      let index = deep.book ? deep.book - 1 : this.config.startBook || 0;
      if (index < 0 || index >= this.books.length) index = 0;
      const page = deep.page || (deep.book ? 1 : this.config.startPage || 1);
      if (!this.books.length) {
        this.showNotice("This collection has no flipbooks to show yet.");
        return;
      }
      this.openBook(index, page);
      this.events.impression(this.books[index].hash);
      this.events.watchVisibility(() => (this.book ? { flipbook: this.book.hash, pages: this.book.visiblePages() } : null));
      window.addEventListener("pageshow", (event) => {
        if (event.persisted && this.book) this.events.showing(this.book.hash, this.book.visiblePages());
      });
    }

    /* ---- books --------------------------------------------------------------------------- */

    openBook(index, page) {
      if (this.book) {
        this.events.flush();
        this.book.destroy();
      }
      this.zoom.reset();
      const meta = this.books[index];
      this.bookIndex = index;
      this.bookTitle.textContent = this.books.length > 1 ? meta.title : "";
      this.book = new Flipshelf.Book({
        meta: meta,
        source: this.source,
        area: this.area,
        rtl: this.rtl,
        reducedMotion: this.reducedMotion,
        hooks: {
          onTurn: (pages) => this.turned(pages),
          onProgress: () => this.progressed(),
          onPainted: () => this.painted(),
          onNotice: (text) => this.showNotice(text),
        },
      });
      this.showDownload(meta);
      this.markShelf();
      this.panels.bookChanged();
      this.book.open(page);
      this.updateControls();
    }

    renderShelf() {
      if (this.books.length < 2) return;
      const shelf = document.getElementById("fs-shelf");
      const list = document.getElementById("fs-shelf-list");
      shelf.hidden = false;
      this.books.forEach((meta, index) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.book = String(index + 1);
        const img = document.createElement("img");
        img.alt = "";
        img.hidden = true;
        const label = document.createElement("span");
        label.textContent = meta.title || "Flipbook " + (index + 1);
        button.append(img, label);
        button.addEventListener("click", () => {
          this.events.interacted();
          if (index !== this.bookIndex) this.openBook(index, 1);
        });
        item.appendChild(button);
        list.appendChild(item);
        // The cover thumbnail, once the manifest says what it is called.
        this.source
          .manifest(meta.hash)
          .then((manifest) => {
            const first = manifest && manifest.pages[0];
            if (first && first.images && first.images.thumb) {
              img.src = this.source.url(meta.hash, first.images.thumb.file);
              img.hidden = false;
            }
          })
          .catch(() => {});
      });
    }

    markShelf() {
      for (const button of document.querySelectorAll("#fs-shelf-list button")) {
        const current = Number(button.dataset.book) === this.bookIndex + 1;
        if (current) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      }
    }

    /* ---- what the book tells us ------------------------------------------------------------ */

    turned(pages) {
      this.events.showing(this.book.hash, pages);
      this.zoom.show(this.book, pages);
      this.updateControls();
      this.updateHash(pages);
      if (this.panels.open === "thumbs") this.panels.markCurrent();
      if (this.panels.open === "text") this.panels.renderText();
    }

    progressed() {
      this.updateControls();
      this.panels.refresh();
    }

    painted() {
      if (this.firstPainted) return;
      this.firstPainted = true;
      document.documentElement.dataset.painted = "true";
      if (performance.mark) performance.mark("flipshelf:first-page");
    }

    showNotice(text) {
      this.notice.hidden = !text;
      this.notice.textContent = text || "";
      if (text) this.status.textContent = text;
    }

    updateHash(pages) {
      if (!pages.length) return;
      const book = this.books.length > 1 ? "book=" + (this.bookIndex + 1) + "&" : "";
      const hash = "#" + book + "page=" + pages[0];
      if (location.hash !== hash) history.replaceState(history.state, "", hash);
    }

    updateControls() {
      const book = this.book;
      const pages = book ? book.visiblePages() : [];
      const count = book ? book.pageCount : 0;
      document.documentElement.dataset.pages = pages.join(",");
      if (pages.length) {
        const where = pages.length > 1 ? "Pages " + pages[0] + "–" + pages[pages.length - 1] : "Page " + pages[0];
        let text = where + " of " + count;
        if (book.manifest && !book.manifest.complete) text += " (" + book.manifest.pagesReady + " ready)";
        this.status.textContent = text;
        if (document.activeElement !== this.pageInput) this.pageInput.value = String(pages[0]);
      }
      this.pageTotal.textContent = count ? "/ " + count : "";
      const atStart = !book || book.atStart();
      const atEnd = !book || book.atEnd();
      for (const button of document.querySelectorAll('[data-action="first"], [data-action="prev"], [data-action="back"]')) {
        button.disabled = atStart;
      }
      for (const button of document.querySelectorAll('[data-action="last"], [data-action="next"], [data-action="forward"]')) {
        button.disabled = atEnd;
      }
      document.querySelector('[data-action="zoom-out"]').disabled = !this.zoom.active;
      document.querySelector('[data-action="zoom-in"]').disabled = this.zoom.level >= 4;
    }

    /* ---- moving ---------------------------------------------------------------------------- */

    go(number) {
      if (!this.book) return;
      this.zoom.reset();
      this.book.go(number);
      this.updateControls();
    }

    goFromPanel(number) {
      this.events.interacted();
      if (this.area.clientWidth < 560) this.panels.close(true);
      this.go(number);
    }

    forward() {
      if (this.book && !this.zoom.active) this.book.forward();
    }

    back() {
      if (this.book && !this.zoom.active) this.book.back();
    }

    act(action) {
      const book = this.book;
      switch (action) {
        case "next":
        case "forward":
          this.forward();
          break;
        case "prev":
        case "back":
          this.back();
          break;
        case "first":
          this.go(1);
          break;
        case "last":
          if (book) this.go(book.pageCount);
          break;
        case "zoom-in":
          if (book && book.manifest) this.zoom.zoomIn();
          break;
        case "zoom-out":
          this.zoom.zoomOut();
          break;
        case "fullscreen":
          this.toggleFullscreen();
          break;
      }
      this.updateControls();
    }

    /* The original document's link, where there is one (never in an offline package). */
    showDownload(meta) {
      const link = document.getElementById("fs-download");
      if (!link) return;
      link.hidden = !meta.download;
      if (meta.download) link.href = meta.download;
    }

    toggleFullscreen() {
      const app = document.documentElement;
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
      else if (app.requestFullscreen) app.requestFullscreen().catch(() => {});
    }

    /* ---- input --------------------------------------------------------------------------- */

    wireControls() {
      for (const button of document.querySelectorAll("[data-action]")) {
        button.addEventListener("click", () => {
          this.events.interacted();
          this.act(button.dataset.action);
        });
      }
      this.pageInput.addEventListener("change", () => {
        const number = parseInt(this.pageInput.value, 10);
        if (number > 0) this.go(number);
      });
      this.pageInput.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          const number = parseInt(this.pageInput.value, 10);
          if (number > 0) this.go(number);
        }
      });
      document.addEventListener("keydown", (event) => this.key(event));
      // page-flip cancels mousedown, which would keep focus (and the keys) outside an embedded
      // player: take it explicitly.
      this.area.addEventListener(
        "pointerdown",
        () => {
          if (document.activeElement !== this.area) this.area.focus({ preventScroll: true });
        },
        { capture: true }
      );
      for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) {
        document.addEventListener(type, () => this.events.interacted(), { passive: true, capture: true });
      }
      const download = document.getElementById("fs-download");
      if (download) {
        download.addEventListener("click", () => {
          this.events.interacted();
          this.events.download();
        });
      }
      document.addEventListener("fullscreenchange", () => {
        const button = document.querySelector('[data-action="fullscreen"]');
        button.setAttribute("aria-pressed", String(!!document.fullscreenElement));
      });
      // Links on pages: followed, counted, and never a page turn. Internal ones turn to their page.
      document.addEventListener("click", (event) => {
        const link = event.target.closest && event.target.closest("a.fs-link");
        if (!link) return;
        this.events.click(Number(link.dataset.from));
        if (link.dataset.page) {
          event.preventDefault();
          this.go(Number(link.dataset.page));
        }
      });
      window.addEventListener("hashchange", () => {
        const deep = readHash();
        if (deep.book && deep.book - 1 !== this.bookIndex && deep.book <= this.books.length) {
          this.openBook(deep.book - 1, deep.page || 1);
        } else if (deep.page) {
          this.go(deep.page);
        }
      });
      let resizing = null;
      window.addEventListener("resize", () => {
        clearTimeout(resizing);
        resizing = setTimeout(() => {
          if (this.book) this.book.relayout();
          this.zoom.show(this.book, this.book ? this.book.visiblePages() : []);
        }, 150);
      });
      if (this.reducedMotion) this.wireSimpleTurns();
    }

    /* Without animations page-flip takes no pointer input: a tap on either half or a swipe
     * turns the page at once. */
    wireSimpleTurns() {
      let start = null;
      this.area.addEventListener("pointerdown", (event) => {
        start = { x: event.clientX, y: event.clientY };
      });
      this.area.addEventListener("pointerup", (event) => {
        if (!start || (event.target.closest && event.target.closest("a"))) return;
        const dx = event.clientX - start.x;
        const rect = this.area.getBoundingClientRect();
        start = null;
        let forward;
        if (Math.abs(dx) > 30) forward = dx < 0;
        else forward = event.clientX > rect.left + rect.width / 2;
        if (this.rtl) forward = !forward;
        if (forward) this.forward();
        else this.back();
      });
    }

    key(event) {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "Escape") {
        if (this.zoom.active) this.zoom.reset();
        else this.panels.close();
        this.updateControls();
        return;
      }
      if (typing(event.target)) return;
      const zoomed = this.zoom.active;
      const step = 80;
      const forwardKey = this.rtl ? "ArrowLeft" : "ArrowRight";
      const backKey = this.rtl ? "ArrowRight" : "ArrowLeft";
      let handled = true;
      switch (event.key) {
        case "ArrowRight":
        case "ArrowLeft":
          if (zoomed) this.zoom.pan(event.key === "ArrowRight" ? step : -step, 0);
          else if (event.key === forwardKey) this.forward();
          else if (event.key === backKey) this.back();
          break;
        case "ArrowUp":
        case "ArrowDown":
          if (zoomed) this.zoom.pan(0, event.key === "ArrowDown" ? step : -step);
          else handled = false;
          break;
        case "PageDown":
          if (!zoomed) this.forward();
          break;
        case "PageUp":
          if (!zoomed) this.back();
          break;
        case "Home":
          this.act("first");
          break;
        case "End":
          this.act("last");
          break;
        case "+":
        case "=":
          this.act("zoom-in");
          break;
        case "-":
        case "_":
          this.act("zoom-out");
          break;
        case "0":
          this.zoom.reset();
          break;
        case "f":
        case "F":
          this.toggleFullscreen();
          break;
        default:
          handled = false;
      }
      if (handled) {
        event.preventDefault();
        this.updateControls();
      }
    }
  }

  function boot() {
    let config;
    try {
      config = readConfig();
    } catch (error) {
      return;
    }
    const player = new Player(config);
    Flipshelf.player = player;
    player.start();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();

/* The player: reads its configuration, puts a flipbook on the stage, wires buttons, keys, the
 * shelf, deep links, sharing and reader events. How it all fits: docs/player.md. */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});
  const el = Flipshelf.el;

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

  const FIRST_MARK = "flipshelf:first-page";

  /* `flipshelf:first-page`: when the first page image was painted, once, whichever paints it
   * (the plain image in the HTML, or the engine's page when there is none). */
  function markFirstPage(time) {
    if (!performance.mark || performance.getEntriesByName(FIRST_MARK).length) return;
    try {
      performance.mark(FIRST_MARK, time === undefined ? undefined : { startTime: time });
    } catch (error) {
      performance.mark(FIRST_MARK); // a browser without mark options
    }
  }

  /* The plain image's paint time. It may well have painted before this script ran: the Element
   * Timing API (Chromium) keeps the entry for a buffered observer; elsewhere, its load. Answers
   * whether the mark is left to the observer: its callback is a low-priority task, which can come
   * after the engine has painted (building a long book is one long task), and the engine's paint
   * must not take the mark then (it did, in some runs: 207 ms where the plain image had painted at
   * 164 ms). An entry means the image painted, even if it has been handed over since. */
  function watchFirstImage(img) {
    const types = (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes) || [];
    if (types.indexOf("element") >= 0) {
      if (img.complete && !img.naturalWidth) return false; // it failed: the engine's paint marks
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (entry.identifier !== "flipshelf-first-page") continue;
          markFirstPage(entry.renderTime || entry.loadTime);
          observer.disconnect();
        }
      });
      observer.observe({ type: "element", buffered: true });
      return true;
    }
    if (img.complete && img.naturalWidth) markFirstPage();
    else img.addEventListener("load", () => requestAnimationFrame(() => markFirstPage()), { once: true });
    return false; // a load marks before the engine can paint; a failed one leaves it to the engine
  }

  /* Resolves once the plain image has painted (or failed to load): building a long book is one
   * long task, which must not hold back the paint of a page that is already there. */
  function painting(img) {
    return new Promise((resolve) => {
      const painted = () => requestAnimationFrame(() => setTimeout(resolve, 0));
      if (img.complete) painted();
      else {
        img.addEventListener("load", painted, { once: true });
        img.addEventListener("error", resolve, { once: true });
      }
    });
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
      this.stage = document.getElementById("fs-stage");
      this.area = document.getElementById("fs-book-area");
      this.status = document.getElementById("fs-status");
      this.notice = document.getElementById("fs-notice");
      this.pageInput = document.getElementById("fs-page-input");
      this.pageTotal = document.getElementById("fs-page-total");
      this.bookTitle = document.getElementById("fs-book-title");
      this.returner = document.getElementById("fs-return");
      this.events = new Flipshelf.ReaderEvents(config.events || null, config.collection);
      this.layout = new Flipshelf.Layout(() => this.relayout());
      this.zoom = new Flipshelf.Zoom(
        document.getElementById("fs-zoom"),
        document.getElementById("fs-zoom-content"),
        this.area
      );
      this.gestures = new Flipshelf.Gestures(this, this.stage, this.area, document.getElementById("fs-zoom"));
      this.panels = new Flipshelf.Panels(this);
      this.share = new Flipshelf.Share(this);
      this.book = null;
      this.bookIndex = -1;
      this.positions = new Map(); // book index -> the page the reader left it at
      this.firstPainted = false;
      this.firstWatched = false; // the plain image's Element Timing entry marks the first paint
      this.first = document.getElementById("fs-first"); // the plain opening page, if any
    }

    start() {
      if (this.rtl) document.documentElement.setAttribute("dir", "ltr"); // layout mirrors via data-rtl only
      this.wireControls();
      this.renderShelf();
      this.showOptional();
      const deep = readHash();
      let index = deep.book ? deep.book - 1 : this.config.startBook || 0;
      if (index < 0 || index >= this.books.length) index = 0;
      const page = deep.page || (deep.book ? 1 : this.config.startPage || 1);
      // The plain image is the server's opening page. A deep link elsewhere keeps it until the
      // engine has painted the linked page (rather than a blank stage), but its paint is not
      // the first page's: the engine's paint marks it then.
      const opening = Math.min(this.config.startBook || 0, this.books.length - 1);
      const same = index === opening && page === (this.config.startPage || 1);
      if (this.first && same) {
        const img = this.first.querySelector("img");
        this.firstWatched = watchFirstImage(img);
        img.addEventListener("error", () => { this.firstWatched = false; }, { once: true });
      }
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

    /* Controls that only make sense with several books, a server or a full-screen browser. */
    showOptional() {
      const several = this.books.length > 1;
      document.querySelector('.fs-toolbar [data-panel="books"]').hidden = !several;
      document.querySelector('[data-menu-panel="books"]').parentNode.hidden = !several;
      const share = this.share.available;
      document.querySelector('.fs-toolbar [data-action="share"]').hidden = !share;
      document.querySelector('[data-menu-action="share"]').parentNode.hidden = !share;
      const full = !!document.fullscreenEnabled;
      document.querySelector('.fs-toolbar [data-action="fullscreen"]').hidden = !full;
      document.querySelector('[data-menu-action="fullscreen"]').parentNode.hidden = !full;
    }

    /* ---- books --------------------------------------------------------------------------- */

    openBook(index, page) {
      if (this.book) {
        this.dropFirst();
        this.positions.set(this.bookIndex, this.where().page);
        this.events.flush();
        this.book.destroy();
      }
      this.zoom.reset();
      this.hideReturn();
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
      const first = this.first;
      this.book.open(page || this.positions.get(index) || 1, first ? painting(first.querySelector("img")) : null);
      this.updateControls();
    }

    /* Another book, or a page of this one (the shelf, the host page, a deep link). */
    openAt(bookNumber, page) {
      const index = bookNumber ? bookNumber - 1 : this.bookIndex;
      if (index < 0 || index >= this.books.length) return;
      if (index !== this.bookIndex) this.openBook(index, page);
      else this.go(page);
    }

    renderShelf() {
      const list = document.getElementById("fs-shelf-list");
      if (this.books.length < 2) return;
      this.books.forEach((meta, index) => {
        const item = el("li");
        const button = el("button");
        button.type = "button";
        button.dataset.book = String(index + 1);
        const img = el("img");
        img.alt = "";
        img.hidden = true;
        button.append(img, el("span", "", meta.title || "Flipbook " + (index + 1)));
        button.addEventListener("click", () => {
          this.events.interacted();
          this.panels.close(true); // a book was chosen: the list has done its job
          this.layout.setPanel(null);
          // The page the reader left that book at (or its first page).
          if (index !== this.bookIndex) this.openBook(index, null);
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
      if (this.zoom.active) this.zoom.turnedTo(this.book, pages);
      else this.zoom.show(this.book, pages);
      this.updateControls();
      this.updateHash(pages);
      this.panels.search.highlight();
      if (this.panels.open === "thumbs") this.panels.markCurrent();
      if (this.panels.open === "text") this.panels.renderText();
      if (this.panels.open === "contents") this.panels.renderContents();
      this.share.moved();
    }

    progressed() {
      if (this.book && this.book.manifest) this.layout.setRatio(this.book.bookRatio());
      this.updateControls();
      this.panels.refresh();
    }

    painted() {
      if (this.firstPainted) return;
      this.firstPainted = true;
      document.documentElement.dataset.painted = "true";
      if (!this.firstWatched) markFirstPage();
      this.handOver();
    }

    /* The engine's first page has painted under the plain image: take the plain one away once
     * the engine's images are decoded and on screen (two frames), so nothing flashes. */
    handOver() {
      const first = this.first;
      if (!first) return;
      const images = this.book.visiblePages().map((n) => this.area.querySelector('.fs-page[data-page="' + n + '"] .fs-page-img'));
      const decoded = images.map((img) => (img && img.decode ? img.decode().catch(() => {}) : null));
      Promise.all(decoded).then(() =>
        requestAnimationFrame(() => requestAnimationFrame(() => {
          if (this.first === first) this.dropFirst();
        }))
      );
    }

    dropFirst() {
      if (!this.first) return;
      this.first.remove();
      this.first = null;
    }

    showNotice(text) {
      this.notice.hidden = !text;
      this.notice.textContent = text || "";
      if (text) this.status.textContent = text;
    }

    /* Where the reader is: 1-based book and first page in view. */
    where() {
      const pages = this.book ? this.book.visiblePages() : [];
      return {
        book: this.bookIndex + 1,
        page: pages[0] || (this.book && this.book.pending) || 1,
        pageCount: this.book ? this.book.pageCount : 0,
      };
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
        if (book.manifest && book.manifest.pagesReady < count) text += " (" + book.manifest.pagesReady + " ready)";
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
      document.querySelector('.fs-toolbar [data-action="zoom-out"]').disabled = !this.zoom.active;
      document.querySelector('.fs-toolbar [data-action="zoom-in"]').disabled = this.zoom.level >= 4;
    }

    relayout() {
      if (!this.book) return;
      this.book.relayout();
      this.zoom.show(this.book, this.book.visiblePages());
    }

    /* ---- moving ---------------------------------------------------------------------------- */

    go(number) {
      if (!this.book) return;
      if (this.zoom.active) this.book.go(number, false); // under the zoom view: at once
      else this.book.go(number);
      this.updateControls();
    }

    goFromPanel(number) {
      this.events.interacted();
      this.panels.leaveFor();
      const here = !!this.book && this.book.visiblePages().indexOf(number) >= 0;
      this.go(number);
      if (here) this.panels.search.highlight(); // no turn follows to draw the matches
    }

    /* Turning while zoomed keeps the zoom: the view shows the next pages at the same level. */
    forward() {
      if (this.book) this.book.step(1, !this.zoom.active);
    }

    back() {
      if (this.book) this.book.step(-1, !this.zoom.active);
    }

    /* A tap or swipe: +1 turns the right-hand page over (forward in a left-to-right book). */
    turnVisual(visual) {
      if (this.book) this.book.stepVisual(visual, !this.zoom.active);
    }

    zoomStep(step, x, y) {
      if (!this.book || !this.book.manifest) return;
      const levels = Flipshelf.ZOOM_LEVELS;
      const at = x === undefined ? undefined : { x: x, y: y };
      if (step > 0) {
        const next = levels.find((level) => level > this.zoom.level);
        if (next) this.zoom.set(next, at);
      } else {
        const lower = levels.filter((level) => level < this.zoom.level);
        if (lower.length) this.zoom.set(lower[lower.length - 1], at);
      }
      this.updateControls();
    }

    /* Double tap or double click: zoom in at that point, or back out when zoomed. */
    zoomAt(x, y) {
      if (!this.book || !this.book.manifest) return;
      this.events.interacted();
      if (this.zoom.active) this.zoom.reset();
      else this.zoom.set(2, { x: x, y: y });
      this.updateControls();
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
          this.zoomStep(1);
          break;
        case "zoom-out":
          this.zoomStep(-1);
          break;
        case "fullscreen":
          this.toggleFullscreen();
          break;
        case "share":
          this.share.share();
          break;
        case "download": {
          const link = document.getElementById("fs-download");
          if (!link.hidden) link.click();
          break;
        }
      }
      this.updateControls();
    }

    /* The original document's link, where there is one (never in an offline package). */
    showDownload(meta) {
      const link = document.getElementById("fs-download");
      link.hidden = !meta.download;
      if (meta.download) link.href = meta.download;
      document.querySelector('[data-menu-action="download"]').parentNode.hidden = !meta.download;
    }

    toggleFullscreen() {
      const app = document.documentElement;
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
      else if (app.requestFullscreen) app.requestFullscreen().catch(() => {});
    }

    /* ---- going to a page by number ----------------------------------------------------------- */

    /* Enter, Tab (the field's change event) and a change all land here; the book turns once. */
    commitPage() {
      const number = parseInt(this.pageInput.value, 10);
      if (number > 0) this.go(number);
      else if (this.book) this.pageInput.value = String(this.where().page); // nonsense: undo it
    }

    /* ---- internal links and the way back ------------------------------------------------------ */

    /* A link on a page to another page: a history entry of its own, so Back (the button that
     * appears, the browser's, Alt+Left) returns to where the reader was. */
    followLink(target) {
      const from = this.where().page;
      const book = this.books.length > 1 ? "book=" + (this.bookIndex + 1) + "&" : "";
      history.pushState({ flipshelfFrom: from }, "", "#" + book + "page=" + target);
      this.returner.hidden = false;
      document.getElementById("fs-return-label").textContent = "Back to page " + from;
      this.go(target);
    }

    hideReturn() {
      this.returner.hidden = true;
    }

    /* ---- input --------------------------------------------------------------------------- */

    interacted() {
      this.events.interacted();
    }

    wireControls() {
      for (const button of document.querySelectorAll("[data-action]")) {
        button.addEventListener("click", () => {
          this.events.interacted();
          this.act(button.dataset.action);
        });
      }
      this.pageInput.addEventListener("change", () => this.commitPage());
      this.pageInput.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          this.commitPage();
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
      document.getElementById("fs-download").addEventListener("click", () => {
        this.events.interacted();
        this.events.download();
      });
      document.addEventListener("fullscreenchange", () => {
        const button = document.querySelector('.fs-toolbar [data-action="fullscreen"]');
        button.setAttribute("aria-pressed", String(!!document.fullscreenElement));
      });
      // Links on pages: followed, counted, and never a page turn. Internal ones turn to their page.
      document.addEventListener("click", (event) => {
        const link = event.target.closest && event.target.closest("a.fs-link");
        if (!link) return;
        this.events.click(Number(link.dataset.from));
        if (link.dataset.page) {
          event.preventDefault();
          this.followLink(Number(link.dataset.page));
        }
      });
      this.returner.addEventListener("click", () => {
        this.hideReturn();
        history.back();
      });
      window.addEventListener("hashchange", () => {
        const deep = readHash();
        if (deep.book && deep.book - 1 !== this.bookIndex && deep.book <= this.books.length) {
          this.openBook(deep.book - 1, deep.page || 1);
        } else if (deep.page) {
          this.go(deep.page);
        }
      });
      window.addEventListener("popstate", (event) => {
        if (!(event.state && event.state.flipshelfFrom)) this.hideReturn();
      });
      if (this.reducedMotion) this.wireSimpleTurns();
    }

    /* Without animations page-flip takes no pointer input: a click on the outer part of the
     * book or a swipe turns the page at once (touches are read in touch.js). */
    wireSimpleTurns() {
      this.area.addEventListener("click", (event) => {
        if (event.target.closest && event.target.closest("a")) return;
        const zone = this.gestures.zone(event.clientX);
        if (zone) this.turnVisual(zone);
      });
    }

    key(event) {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "F3") {
        event.preventDefault();
        this.panels.search.step(event.shiftKey ? -1 : 1);
        return;
      }
      if (event.key === "Escape") {
        if (this.zoom.active) this.zoom.reset();
        else if (this.panels.open) this.panels.close();
        else if (this.panels.search.active) this.panels.search.end();
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
          this.forward();
          break;
        case "PageUp":
          this.back();
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
    document.body.classList.add("fs-started"); // the controls show (player.css)
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

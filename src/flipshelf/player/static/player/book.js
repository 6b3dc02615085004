/* One flipbook on the stage: its manifest, its pages as elements, page-flip turning them.
 *
 * - Every page gets a light element up front (the manifest knows every page's size), but only a
 *   window of pages around the ones in view holds an image; the rest are empty, so a 1000-page
 *   book opens as fast as a short one and keeps a few images in memory.
 * - Pages that are not converted yet show a placeholder; the manifest is polled until it is
 *   complete and ready pages fill in.
 * - Right-to-left books give page-flip their pages in reverse order, so turning "forward" moves
 *   to the left, and start at the end of that list.
 * - Two pages side by side when the stage is wide enough, one otherwise; page-flip is rebuilt
 *   when that choice changes.
 */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});

  const WINDOW = 4; // pages kept loaded on each side of the pages in view
  const POLL_FIRST = 1500;
  const POLL_MAX = 15000;
  const FLIP_MS = 700;

  /* An element with a class and text (never markup): every module's way to make one. */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* Manifest versions this player reads (conversion/manifest.py READABLE_VERSIONS): 2 adds pages
   * that could not be drawn (`failed`); 3 adds `textReady` (a page's text and links come after its
   * images); 4 brings a page's thumbnail, but the first page's, with its text. */
  const READABLE_VERSIONS = [1, 2, 3, 4];

  function readsManifest(manifest) {
    return READABLE_VERSIONS.includes(manifest.version);
  }

  /* What stands in for a page the converter could not draw: the rest of the book reads on. */
  function failedPage(number) {
    return el("p", "fs-page-failed", "Page " + number + " could not be shown: the document is damaged here.");
  }

  /* Two pages side by side only if each would be about as large as one page alone: the slot's
   * shape decides (a 350 x 250 slot shows a spread, a 390 x 844 one a single page). */
  function wantsSpread(width, height, ratio) {
    const single = Math.min(width, height * ratio);
    const double = Math.min(width / 2, height * ratio);
    return double >= single * 0.8;
  }

  /* The box a page's image takes inside a page slot of the book's first page's shape, as
   * percentages, so it never depends on the on-screen size. */
  function boxOf(page, bookRatio) {
    const ratio = page.width / page.height;
    if (ratio >= bookRatio) return { width: 100, height: (bookRatio / ratio) * 100 };
    return { width: (ratio / bookRatio) * 100, height: 100 };
  }

  /* page-flip redraws every animation frame, forever, and by default rewrites the style of every
   * page it does not show, every frame: thousands of writes a frame for a long book, and a few
   * percent of a core while the reader just reads. Here an instance hides only the pages shown in
   * the previous frame, and its loop sleeps while nothing moves: page-flip's loop calls
   * requestAnimationFrame right after each draw, so when a draw is skipped that next request is
   * held back, and any change to what is shown schedules it again. */
  const CHANGES = [
    "setLeftPage", "setRightPage", "setBottomPage", "setFlippingPage", "setShadowData",
    "clearShadow", "setPageRect", "setDirection", "startAnimation", "finishAnimation", "update",
  ];
  const requestFrame = window.requestAnimationFrame.bind(window);
  let holdNextFrame = null; // the instance whose loop is about to ask for its next frame

  window.requestAnimationFrame = function (callback) {
    const sleeper = holdNextFrame;
    holdNextFrame = null;
    if (sleeper && !sleeper.stopped) {
      sleeper.parked = callback;
      return 0;
    }
    return requestFrame(callback);
  };

  function tame(pageFlip) {
    const render = pageFlip.getRender();
    const loop = { frames: 3, parked: null, stopped: false };
    let shown = [];
    render.clear = function () {
      const keep = [this.leftPage, this.rightPage, this.flippingPage, this.bottomPage].filter(Boolean);
      for (const page of shown) {
        if (keep.indexOf(page) < 0) page.getElement().style.cssText = "display: none";
        if (page.getTemporaryCopy && page.getTemporaryCopy() !== this.flippingPage) page.hideTemporaryCopy();
      }
      shown = keep;
    };
    function wake() {
      loop.frames = 3;
      if (loop.parked && !loop.stopped) {
        const callback = loop.parked;
        loop.parked = null;
        requestFrame(callback);
      }
    }
    for (const name of CHANGES) {
      const original = render[name];
      if (typeof original !== "function") continue;
      render[name] = function () {
        wake();
        return original.apply(this, arguments);
      };
    }
    const draw = render.render;
    render.render = function (timer) {
      if (this.animation !== null || pageFlip.getState() !== "read") loop.frames = 3;
      if (loop.frames <= 0) {
        holdNextFrame = loop; // sleep until something changes
        return;
      }
      loop.frames--;
      draw.call(this, timer);
    };
    return {
      wake: wake,
      stop: function () {
        loop.stopped = true;
        loop.parked = null;
        render.render = function () {};
      },
    };
  }

  class Book {
    constructor(options) {
      this.meta = options.meta; // {hash, title, status, pageCount}
      this.source = options.source;
      this.area = options.area;
      this.rtl = !!options.rtl;
      this.reducedMotion = !!options.reducedMotion;
      this.hooks = options.hooks; // onTurn(pages), onProgress(), onLink(link, page), onPainted(), onNotice(text)
      this.manifest = null;
      this.pageFlip = null;
      this.loop = null;
      this.items = [];
      this.order = [];
      this.loaded = new Set();
      this.spread = null;
      this.pollTimer = null;
      this.pollDelay = POLL_FIRST;
      this.destroyed = false;
      this.painted = false;
      this.pending = null; // the page to open once the manifest arrives
      this.heading = null; // the page a turn in progress is heading to
      this.marks = new Map(); // page -> [[left, top, right, bottom], ...] highlighted (search)
    }

    get hash() {
      return this.meta.hash;
    }

    get pageCount() {
      return this.manifest ? this.manifest.pageCount : 0;
    }

    isReady(number) {
      return !!this.manifest && number >= 1 && number <= this.manifest.pagesReady;
    }

    /* Page `number`'s text, words and links are written (a pass after the images). */
    hasText(number) {
      return !!this.manifest && number >= 1 && number <= Flipshelf.textReady(this.manifest);
    }

    imageUrl(number, size) {
      const page = this.manifest && this.manifest.pages[number - 1];
      if (!page || !page.images) return null;
      let image = page.images[size];
      if (!image && size === "zoom") image = page.images.normal;
      return image ? this.source.url(this.hash, image.file) : null;
    }

    /* The sharpest image worth showing page `number` zoomed, `needed` device pixels wide: the
     * manifest's zoom image when it is that wide, else the one the server draws on demand, else
     * (offline) the largest image the book has. */
    zoomImageUrl(number, needed) {
      const page = this.manifest && this.manifest.pages[number - 1];
      if (!page || !page.images) return null;
      const zoom = page.images.zoom;
      if (zoom && zoom.width >= needed) return this.source.url(this.hash, zoom.file);
      if (!page.images.normal) return null;
      return this.source.zoomUrl(this.hash, number, needed) || this.imageUrl(number, "zoom");
    }

    bookRatio() {
      const first = this.manifest.pages[0];
      return first.width / first.height;
    }

    /* `shown`: a promise the build waits for (the plain first page painting, player.js), while
     * the manifest is already on its way. */
    async open(startPage, shown) {
      this.pending = startPage || 1;
      let manifest = null;
      try {
        const asked = this.source.manifest(this.hash);
        if (shown) await shown;
        manifest = await asked;
      } catch (error) {
        this.hooks.onNotice("This flipbook could not be loaded. Retrying…");
      }
      if (this.destroyed) return;
      if (!manifest) {
        this.hooks.onNotice("This flipbook is being prepared…");
        this.schedulePoll();
        return;
      }
      if (!readsManifest(manifest)) {
        this.hooks.onNotice("This flipbook needs a newer player. Reload the page.");
        return;
      }
      this.manifest = manifest;
      this.hooks.onNotice(null);
      this.build(this.pending);
      this.hooks.onProgress();
      if (!manifest.complete) this.schedulePoll();
    }

    /* ---- page-flip ---------------------------------------------------------------------- */

    build(startPage) {
      const width = this.area.clientWidth || 1;
      const height = this.area.clientHeight || 1;
      this.spread = wantsSpread(width, height, this.bookRatio());
      const count = this.manifest.pageCount;
      this.order = [];
      for (let n = 1; n <= count; n++) this.order.push(n);
      if (this.rtl) {
        this.order.reverse();
        // In spreads, page 1 must end up alone like a cover: pad to an even count.
        if (this.spread && count % 2 === 1) this.order.unshift(0);
      }
      this.loaded = new Set();
      this.items = this.order.map((n) => this.slot(n));
      const root = el("div", "fs-book");
      this.area.appendChild(root);
      const first = this.manifest.pages[0];
      const pageFlip = new window.St.PageFlip(root, {
        width: first.width,
        height: first.height,
        size: "stretch",
        autoSize: false,
        minWidth: this.spread ? 1 : 100000, // page-flip shows one page below 2 x minWidth
        maxWidth: 100000,
        minHeight: 1,
        maxHeight: 100000,
        showCover: true,
        usePortrait: true,
        drawShadow: !this.reducedMotion,
        maxShadowOpacity: 0.5,
        flippingTime: this.reducedMotion ? 1 : FLIP_MS,
        useMouseEvents: !this.reducedMotion,
        showPageCorners: !this.reducedMotion,
        mobileScrollSupport: false,
        swipeDistance: 30,
        startPage: this.indexOf(startPage),
      });
      this.pageFlip = pageFlip;
      pageFlip.on("flip", () => this.turned());
      pageFlip.on("changeState", (event) => {
        if (event.data === "read") this.heading = null;
      });
      pageFlip.loadFromHTML(this.items);
      // page-flip sizes its root from minWidth (our one-or-two-pages switch): undo that.
      root.style.minWidth = "0";
      root.style.minHeight = "0";
      pageFlip.update();
      this.loop = tame(pageFlip);
      this.root = root;
      this.turned();
    }

    /* A light element per page; its image comes and goes with the window. */
    slot(number) {
      const node = el("div", "fs-page");
      if (number === 0) {
        node.appendChild(el("p", "fs-blank"));
        node.setAttribute("aria-hidden", "true");
        return node;
      }
      node.dataset.page = String(number);
      return node;
    }

    fill(number) {
      const node = this.items[this.indexOf(number)];
      if (!node) return;
      node.textContent = "";
      const page = this.manifest.pages[number - 1];
      if (this.isReady(number) && page.failed) {
        node.appendChild(failedPage(number));
        return;
      }
      if (!this.isReady(number) || !page.images) {
        node.appendChild(el("p", "fs-page-wait", "Page " + number + " is being prepared…"));
        return;
      }
      const size = boxOf(page, this.bookRatio());
      const box = el("div", "fs-page-box");
      box.style.width = size.width + "%";
      box.style.height = size.height + "%";
      const img = el("img", "fs-page-img");
      img.alt = "Page " + number;
      img.decoding = "async";
      img.draggable = false;
      img.src = this.imageUrl(number, "normal");
      if (!this.painted) img.addEventListener("load", () => this.firstPaint(number), { once: true });
      box.appendChild(img);
      Flipshelf.addLinks(box, page, number);
      Flipshelf.addMarks(box, this.marks.get(number));
      node.appendChild(box);
    }

    /* Highlights `rects` (fractions of the page) on page `number`; none clears them. */
    mark(number, rects) {
      if (rects && rects.length) this.marks.set(number, rects);
      else this.marks.delete(number);
      const node = this.items[this.indexOf(number)];
      const box = node && node.querySelector(".fs-page-box");
      if (box) {
        for (const old of box.querySelectorAll(".fs-hit")) old.remove();
        Flipshelf.addMarks(box, rects);
      }
    }

    clearMarks() {
      for (const number of Array.from(this.marks.keys())) this.mark(number, null);
    }

    empty(number) {
      const node = this.items[this.indexOf(number)];
      if (node) node.textContent = "";
    }

    firstPaint(number) {
      if (this.painted || this.visiblePages().indexOf(number) < 0) return;
      this.painted = true;
      requestAnimationFrame(() => this.hooks.onPainted());
    }

    /* Keeps images only for the pages near the ones in view. */
    updateWindow() {
      const visible = this.visiblePages();
      if (!visible.length) return;
      const low = Math.max(1, visible[0] - WINDOW);
      const high = Math.min(this.pageCount, visible[visible.length - 1] + WINDOW);
      for (const n of Array.from(this.loaded)) {
        if (n < low || n > high) {
          this.empty(n);
          this.loaded.delete(n);
        }
      }
      for (let n = low; n <= high; n++) {
        const wanted = !this.isReady(n) ? "waiting" : this.hasText(n) ? "linked" : "ready";
        const loaded = this.loadedAs(n);
        if (loaded === "ready" && wanted === "linked") {
          this.addText(n); // the image stays: only its links arrive
          this.items[this.indexOf(n)].dataset.state = wanted;
        } else if (loaded !== wanted) {
          this.fill(n);
          this.items[this.indexOf(n)].dataset.state = wanted;
          this.loaded.add(n);
        }
      }
      // A page that could not be drawn has no image whose load marks the first paint: shown, its
      // placeholder is the page.
      for (const n of visible) if (this.isReady(n) && this.manifest.pages[n - 1].failed) this.firstPaint(n);
    }

    addText(number) {
      const node = this.items[this.indexOf(number)];
      const box = node && node.querySelector(".fs-page-box");
      if (box) Flipshelf.addLinks(box, this.manifest.pages[number - 1], number);
    }

    loadedAs(number) {
      if (!this.loaded.has(number)) return null;
      return this.items[this.indexOf(number)].dataset.state;
    }

    turned() {
      if (!this.pageFlip) return;
      this.heading = null;
      this.updateWindow();
      this.hooks.onTurn(this.visiblePages());
    }

    destroy() {
      this.destroyed = true;
      clearTimeout(this.pollTimer);
      this.teardown();
    }

    teardown() {
      if (this.loop) this.loop.stop();
      if (this.pageFlip) {
        try {
          this.pageFlip.destroy();
        } catch (error) {
          /* already detached */
        }
      }
      if (this.root && this.root.parentNode) this.root.remove();
      this.pageFlip = null;
      this.loop = null;
      this.root = null;
    }

    /* On resize: page-flip follows the size itself; rebuild only to switch one/two pages. */
    relayout() {
      if (!this.pageFlip) return;
      const spread = wantsSpread(this.area.clientWidth, this.area.clientHeight, this.bookRatio());
      if (spread === this.spread) {
        this.pageFlip.update();
        return;
      }
      const current = this.visiblePages()[0] || 1;
      this.teardown();
      this.build(current);
    }

    /* ---- where we are ------------------------------------------------------------------- */

    indexOf(number) {
      if (!this.rtl) return number - 1;
      return this.order.length - number;
    }

    visiblePages() {
      if (!this.pageFlip) return [];
      const pages = this.pageFlip.getPageCollection();
      const spread = pages.getSpread()[pages.getCurrentSpreadIndex()] || [];
      return spread
        .map((index) => this.order[index])
        .filter((n) => n > 0)
        .sort((a, b) => a - b);
    }

    isFlipping() {
      return !!this.pageFlip && this.pageFlip.getState() !== "read";
    }

    /* ---- turning ------------------------------------------------------------------------ */

    go(number, animate) {
      if (!this.pageFlip) {
        this.pending = number;
        return;
      }
      const target = Math.max(1, Math.min(this.pageCount, number));
      // Asked twice for the same page (Enter, then the field's change event) while the first
      // turn is still animating: one turn, not two.
      if (this.visiblePages().indexOf(target) >= 0 || this.heading === target) return;
      const index = this.indexOf(target);
      if (animate === false || this.reducedMotion) {
        this.pageFlip.turnToPage(index);
        return;
      }
      this.heading = target;
      this.pageFlip.flip(index);
    }

    /* Forward and back in reading order, whichever way the book turns. */
    forward() {
      this.step(1);
    }

    back() {
      this.step(-1);
    }

    /* One spread in reading order; `animate === false` turns at once (under the zoom view). */
    step(direction, animate) {
      this.stepVisual(this.rtl ? -direction : direction, animate);
    }

    /* One spread as seen: +1 is the page on the right turning over to the left. */
    stepVisual(visual, animate) {
      if (!this.pageFlip) return;
      const pages = this.pageFlip.getPageCollection();
      const spreads = pages.getSpread();
      const next = pages.getCurrentSpreadIndex() + visual;
      if (next < 0 || next >= spreads.length) return;
      if (this.reducedMotion || animate === false) {
        this.pageFlip.turnToPage(spreads[next][0]);
        return;
      }
      if (visual > 0) this.pageFlip.flipNext();
      else this.pageFlip.flipPrev();
    }

    /* ---- where the pages are on screen, and dragging their corner ------------------------ */

    /* The rectangle of the page(s) shown, in client coordinates (a cover alone: its half). */
    pagesRect() {
      if (!this.pageFlip || !this.root) return null;
      const boxes = [];
      for (const n of this.visiblePages()) {
        const node = this.items[this.indexOf(n)];
        if (node) boxes.push(node.getBoundingClientRect());
      }
      const shown = boxes.filter((box) => box.width > 0 && box.height > 0);
      if (!shown.length) return this.root.getBoundingClientRect();
      const left = Math.min(...shown.map((b) => b.left));
      const right = Math.max(...shown.map((b) => b.right));
      const top = Math.min(...shown.map((b) => b.top));
      const bottom = Math.max(...shown.map((b) => b.bottom));
      return { left: left, top: top, width: right - left, height: bottom - top, right: right, bottom: bottom };
    }

    local(x, y) {
      const block = this.pageFlip.getUI().getDistElement().getBoundingClientRect();
      return { x: x - block.left, y: y - block.top };
    }

    /* A finger held on a page and then moved: page-flip's own fold follows it. */
    startDrag(x, y) {
      if (!this.pageFlip || this.reducedMotion || this.isFlipping()) return false;
      this.pageFlip.startUserTouch(this.local(x, y));
      return true;
    }

    drag(x, y) {
      if (this.pageFlip) this.pageFlip.userMove(this.local(x, y), true);
    }

    endDrag(x, y) {
      if (this.pageFlip) this.pageFlip.userStop(this.local(x, y));
    }

    atStart() {
      const visible = this.visiblePages();
      return !visible.length || visible[0] <= 1;
    }

    atEnd() {
      const visible = this.visiblePages();
      return !visible.length || visible[visible.length - 1] >= this.pageCount;
    }

    /* ---- a flipbook still converting ----------------------------------------------------- */

    schedulePoll() {
      clearTimeout(this.pollTimer);
      this.pollTimer = setTimeout(() => this.poll(), this.pollDelay);
    }

    async poll() {
      let manifest = null;
      try {
        manifest = await this.source.manifest(this.hash);
      } catch (error) {
        manifest = null;
      }
      if (this.destroyed) return;
      const before = this.manifest;
      const changed =
        manifest &&
        (!before ||
          manifest.pagesReady !== before.pagesReady ||
          Flipshelf.textReady(manifest) !== Flipshelf.textReady(before) ||
          manifest.zoomReady !== before.zoomReady);
      if (changed) {
        this.pollDelay = POLL_FIRST;
        if (!before) {
          this.manifest = manifest;
          this.hooks.onNotice(null);
          this.build(this.pending || 1);
        } else {
          this.manifest = manifest;
          this.updateWindow();
        }
        this.hooks.onProgress();
      } else {
        this.pollDelay = Math.min(POLL_MAX, Math.round(this.pollDelay * 1.5));
      }
      if (!this.manifest || !this.manifest.complete) this.schedulePoll();
    }
  }

  /* Clickable areas from the PDF. They are links (<a>), which page-flip never turns a page for:
   * external ones open in a new tab, internal ones are handled by the player (data-page). */
  /* Pages 1..textReady have their text, words and links; before version 3 they came with the images. */
  Flipshelf.textReady = function (manifest) {
    return manifest.textReady === undefined ? manifest.pagesReady : manifest.textReady;
  };

  Flipshelf.addLinks = function (box, page, number) {
    for (const link of page.links || []) {
      const rect = link.rect;
      const a = el("a", "fs-link");
      a.style.left = rect[0] * 100 + "%";
      a.style.top = rect[1] * 100 + "%";
      a.style.width = (rect[2] - rect[0]) * 100 + "%";
      a.style.height = (rect[3] - rect[1]) * 100 + "%";
      a.dataset.from = String(number);
      if (link.uri) {
        a.href = link.uri;
        a.target = "_blank";
        a.rel = "noopener";
        a.setAttribute("aria-label", "Link: " + link.uri);
        a.title = link.uri;
      } else {
        a.href = "#page=" + link.page;
        a.dataset.page = String(link.page);
        a.setAttribute("aria-label", "Go to page " + link.page);
      }
      a.draggable = false;
      box.appendChild(a);
    }
  };

  /* Search matches over a page: rectangles as fractions of the page, like links. */
  Flipshelf.addMarks = function (box, rects) {
    for (const rect of rects || []) {
      const mark = el("span", "fs-hit");
      mark.style.left = rect[0] * 100 + "%";
      mark.style.top = rect[1] * 100 + "%";
      mark.style.width = (rect[2] - rect[0]) * 100 + "%";
      mark.style.height = (rect[3] - rect[1]) * 100 + "%";
      box.appendChild(mark);
    }
  };

  Flipshelf.el = el;
  Flipshelf.Book = Book;
  Flipshelf.wantsSpread = wantsSpread;
  Flipshelf.boxOf = boxOf;
})();

/* Zoom: the pages in view, larger, in a scrollable view over the book. Drag, scroll, swipe or
 * use the arrow keys to move around; while zoomed the book is hidden, so a drag never turns a
 * page; the buttons and Page Up/Down still turn, and the view follows with the same zoom.
 * Gestures (pinch, double tap, Ctrl + wheel) are read in touch.js. */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});
  const LEVELS = [1, 1.5, 2, 3, 4];

  class Zoom {
    constructor(view, content, area) {
      this.view = view;
      this.content = content;
      this.area = area;
      this.level = 1;
      this.book = null;
      this.pages = [];
      this.drag = null;
      this.sharp = new Set(); // URLs of sharper images loaded already: shown at once next time
      view.addEventListener("pointerdown", (event) => this.startDrag(event));
      view.addEventListener("pointermove", (event) => this.moveDrag(event));
      view.addEventListener("pointerup", (event) => this.endDrag(event));
      view.addEventListener("pointercancel", (event) => this.endDrag(event));
    }

    get active() {
      return this.level > 1;
    }

    zoomIn() {
      const next = LEVELS.find((level) => level > this.level);
      if (next) this.set(next);
    }

    zoomOut() {
      const lower = LEVELS.filter((level) => level < this.level);
      if (lower.length) this.set(lower[lower.length - 1]);
    }

    reset() {
      if (this.active) this.set(1);
    }

    /* `at` (client coordinates, optional): the point that stays under the finger or pointer. */
    set(level, at) {
      const view = this.view;
      const box = view.getBoundingClientRect();
      const screen = at ? { x: at.x - box.left, y: at.y - box.top } : { x: view.clientWidth / 2, y: view.clientHeight / 2 };
      const centre = this.active ? this.fractionAt(screen) : this.bookFraction(at);
      this.level = level;
      if (!this.active) {
        view.hidden = true;
        this.area.removeAttribute("data-zoomed");
        this.area.removeAttribute("inert");
        this.content.textContent = "";
        document.documentElement.removeAttribute("data-zoom");
        return;
      }
      this.area.setAttribute("data-zoomed", "");
      this.area.setAttribute("inert", "");
      view.hidden = false;
      document.documentElement.dataset.zoom = String(level);
      this.render();
      const content = this.content;
      view.scrollLeft = content.offsetLeft + centre.x * content.offsetWidth - screen.x;
      view.scrollTop = content.offsetTop + centre.y * content.offsetHeight - screen.y;
    }

    /* Where a point of the zoom view lies on its pages, as fractions. */
    fractionAt(screen) {
      const content = this.content;
      const view = this.view;
      return {
        x: (view.scrollLeft + screen.x - content.offsetLeft) / Math.max(1, content.offsetWidth),
        y: (view.scrollTop + screen.y - content.offsetTop) / Math.max(1, content.offsetHeight),
      };
    }

    /* Where a point of the book lies on the pages shown, as fractions (the middle if none). */
    bookFraction(at) {
      const rect = at && this.book ? this.book.pagesRect() : null;
      if (!rect || rect.width <= 0) return { x: 0.5, y: 0.5 };
      const clamp = (value) => Math.max(0, Math.min(1, value));
      return { x: clamp((at.x - rect.left) / rect.width), y: clamp((at.y - rect.top) / rect.height) };
    }

    /* After a turn while zoomed: the new pages at the same level, from their top. */
    turnedTo(book, pages) {
      const left = this.view.scrollLeft;
      this.show(book, pages);
      if (this.active) {
        this.view.scrollTop = 0;
        this.view.scrollLeft = left;
      }
    }

    /* Shows `pages` of `book` at the current level (called again when the reader turns). */
    show(book, pages) {
      this.book = book;
      this.pages = pages.slice();
      if (this.active) this.render();
    }

    render() {
      const book = this.book;
      if (!this.active) return;
      this.content.textContent = "";
      if (!book || !book.manifest || !this.pages.length) return;
      const ratio = book.bookRatio();
      // The size a page slot has on the book at level 1, then scaled.
      const areaWidth = this.area.clientWidth / (book.spread ? 2 : 1);
      const areaHeight = this.area.clientHeight;
      const slotHeight = Math.min(areaHeight, areaWidth / ratio) * this.level;
      const slotWidth = slotHeight * ratio;
      for (const number of this.pages) {
        const page = book.manifest.pages[number - 1];
        const box = Flipshelf.boxOf(page, ratio);
        const holder = document.createElement("div");
        holder.className = "fs-zoom-page";
        const shownWidth = (slotWidth * box.width) / 100;
        holder.style.width = shownWidth + "px";
        holder.style.height = (slotHeight * box.height) / 100 + "px";
        const url = book.imageUrl(number, "zoom");
        if (url) {
          const img = document.createElement("img");
          img.alt = "Page " + number + ", zoomed";
          img.draggable = false;
          const needed = Math.ceil(shownWidth * (window.devicePixelRatio || 1));
          const sharp = book.zoomImageUrl(number, needed);
          img.src = sharp && this.sharp.has(sharp) ? sharp : url;
          if (sharp && sharp !== img.src) this.sharpen(img, sharp);
          holder.appendChild(img);
          Flipshelf.addLinks(holder, page, number);
          Flipshelf.addMarks(holder, book.marks.get(number));
        }
        this.content.appendChild(holder);
      }
      const view = this.view;
      const width = this.content.scrollWidth;
      const height = this.content.scrollHeight;
      this.content.style.marginLeft = Math.max(0, (view.clientWidth - width) / 2) + "px";
      this.content.style.marginTop = Math.max(0, (view.clientHeight - height) / 2) + "px";
    }

    /* Shows `url` in `img` once it is loaded and decoded: the image already there stays until
     * then, so the page never flashes blank. A server too busy to draw (503) leaves it as is. */
    sharpen(img, url) {
      const loader = new Image();
      loader.src = url;
      loader
        .decode()
        .then(() => {
          this.sharp.add(url);
          if (img.isConnected) img.src = url;
        })
        .catch(() => {});
    }

    pan(dx, dy) {
      this.view.scrollLeft += dx;
      this.view.scrollTop += dy;
    }

    startDrag(event) {
      if (event.pointerType === "touch" || event.button !== 0) return; // touch scrolls natively
      if (event.target.closest("a")) return;
      this.drag = { x: event.clientX, y: event.clientY, moved: false };
      this.view.setPointerCapture(event.pointerId);
      this.view.setAttribute("data-dragging", "");
    }

    moveDrag(event) {
      if (!this.drag) return;
      const dx = event.clientX - this.drag.x;
      const dy = event.clientY - this.drag.y;
      this.drag.x = event.clientX;
      this.drag.y = event.clientY;
      this.pan(-dx, -dy);
    }

    endDrag(event) {
      if (!this.drag) return;
      this.drag = null;
      this.view.removeAttribute("data-dragging");
      if (this.view.hasPointerCapture(event.pointerId)) this.view.releasePointerCapture(event.pointerId);
    }
  }

  Flipshelf.Zoom = Zoom;
  Flipshelf.ZOOM_LEVELS = LEVELS;
})();

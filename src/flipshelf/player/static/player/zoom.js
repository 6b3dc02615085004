/* Zoom: the pages in view, larger, in a scrollable view over the book. Drag, scroll, swipe or
 * use the arrow keys to move around; while zoomed the book is hidden, so nothing turns a page.
 * Two fingers spread or pinched on the book or the zoom view step the level up or down. */
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

    set(level) {
      const view = this.view;
      const centre = this.active
        ? {
            x: (view.scrollLeft + view.clientWidth / 2) / Math.max(1, view.scrollWidth),
            y: (view.scrollTop + view.clientHeight / 2) / Math.max(1, view.scrollHeight),
          }
        : { x: 0.5, y: 0.5 };
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
      view.scrollLeft = centre.x * view.scrollWidth - view.clientWidth / 2;
      view.scrollTop = centre.y * view.scrollHeight - view.clientHeight / 2;
    }

    /* Shows `pages` of `book` at the current level (called again when the reader turns). */
    show(book, pages) {
      this.book = book;
      this.pages = pages.slice();
      if (this.active) this.render();
    }

    render() {
      const book = this.book;
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
        holder.style.width = (slotWidth * box.width) / 100 + "px";
        holder.style.height = (slotHeight * box.height) / 100 + "px";
        const url = book.imageUrl(number, "zoom");
        if (url) {
          const img = document.createElement("img");
          img.alt = "Page " + number + ", zoomed";
          img.draggable = false;
          img.src = url;
          holder.appendChild(img);
          Flipshelf.addLinks(holder, page, number);
        }
        this.content.appendChild(holder);
      }
      const view = this.view;
      const width = this.content.scrollWidth;
      const height = this.content.scrollHeight;
      this.content.style.marginLeft = Math.max(0, (view.clientWidth - width) / 2) + "px";
      this.content.style.marginTop = Math.max(0, (view.clientHeight - height) / 2) + "px";
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

  /* Two-finger pinch on `stage` (the book and the zoom view): calls `onStep(+1)` each time the
   * fingers spread by a quarter more, `onStep(-1)` each time they close by a fifth, so a pinch
   * moves through the same levels as the buttons. While two fingers are down their moves are kept
   * from page-flip (no page is dragged) and from the browser (no native zoom of the embedding
   * page); the lift still reaches page-flip, which lets go of a fold the first finger began. */
  const SPREAD = 1.25;
  const CLOSE = 0.8;

  class Pinch {
    constructor(stage, onStep) {
      this.onStep = onStep;
      this.distance = 0;
      this.target = null;
      this.onMove = (event) => this.move(event);
      this.onEnd = (event) => this.end(event);
      const options = { capture: true, passive: false };
      stage.addEventListener("touchstart", (event) => this.start(event), options);
      stage.addEventListener("touchmove", this.onMove, options);
      stage.addEventListener("touchend", this.onEnd, options);
      stage.addEventListener("touchcancel", this.onEnd, options);
    }

    start(event) {
      if (event.touches.length !== 2) return;
      this.distance = spread(event.touches);
      event.stopPropagation();
      // A step re-renders the zoom view, which can remove the element the fingers landed on;
      // its later touch events go to that detached element alone, so they are heard there too.
      this.follow(event.target);
    }

    follow(target) {
      this.unfollow();
      this.target = target;
      for (const type of ["touchmove", "touchend", "touchcancel"]) {
        target.addEventListener(type, type === "touchmove" ? this.onMove : this.onEnd, { passive: false });
      }
    }

    unfollow() {
      if (!this.target) return;
      for (const type of ["touchmove", "touchend", "touchcancel"]) {
        this.target.removeEventListener(type, type === "touchmove" ? this.onMove : this.onEnd);
      }
      this.target = null;
    }

    move(event) {
      if (!this.distance || event.touches.length !== 2) return;
      event.stopPropagation();
      if (event.cancelable) event.preventDefault();
      const distance = spread(event.touches);
      const ratio = distance / this.distance;
      if (ratio >= SPREAD || ratio <= CLOSE) {
        this.onStep(ratio >= SPREAD ? 1 : -1);
        this.distance = distance;
      }
    }

    end(event) {
      if (event.touches.length >= 2) return;
      this.distance = 0;
      this.unfollow();
    }
  }

  function spread(touches) {
    const dx = touches[0].clientX - touches[1].clientX;
    const dy = touches[0].clientY - touches[1].clientY;
    return Math.max(1, Math.hypot(dx, dy));
  }

  Flipshelf.Zoom = Zoom;
  Flipshelf.Pinch = Pinch;
})();

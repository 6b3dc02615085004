/* Touch and pointer gestures on the stage, the way a reader's fingers expect them:
 *
 * - a tap on the outer part of the book (its outer 30% on either side) turns the page, whatever
 *   the tap's length; a tap in the middle shows or hides the controls (overlay layouts);
 * - a swipe turns the page; a finger held still a moment and then moved drags the page's corner
 *   (page-flip's own fold, which follows the finger);
 * - a double tap in the middle, or a double click there, zooms in at that point (and out again
 *   when zoomed); two fingers pinch through the zoom levels; Ctrl + wheel (and a touchpad pinch,
 *   which browsers report as one) zooms too.
 *
 * page-flip 2.0.7 reads taps itself with two timers: a touch becomes a press only after 250 ms,
 * so taps of 34-220 ms never turned. Touches on the book are therefore taken here, before
 * page-flip sees them (capture phase), and turned into its public calls. Mouse clicks on the
 * outer part still reach page-flip (corner folds on hover, clicks that turn). */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});
  const OUTER = 0.3; // share of the book's width, on each side, where a tap turns
  const MOVE = 10; // px: more than this and a touch is no longer a tap
  const HOLD_MS = 300; // held this long before moving: a drag of the corner, not a swipe
  const SWIPE = 30; // px
  const DOUBLE_MS = 320;
  const DOUBLE_PX = 40;
  const SPREAD = 1.25; // pinch: fingers a quarter further apart = one zoom level in
  const CLOSE = 0.8; // a fifth closer = one level out
  const WHEEL_STEP = 60; // accumulated Ctrl + wheel delta per zoom level
  const CONTROLS = "a, button, input, select, textarea, label, .fs-panel, .fs-bar, .fs-hits, .fs-return";

  function distance(touches) {
    const dx = touches[0].clientX - touches[1].clientX;
    const dy = touches[0].clientY - touches[1].clientY;
    return Math.max(1, Math.hypot(dx, dy));
  }

  class Gestures {
    /* `player` answers: book, zoom, layout, turnVisual(step), zoomStep(step), zoomAt(x, y, in),
     * interacted(). */
    constructor(player, stage, area, zoomView) {
      this.player = player;
      this.stage = stage;
      this.area = area;
      this.zoomView = zoomView;
      this.touch = null; // the one-finger gesture in progress
      this.pinch = 0; // the fingers' distance at the last pinch step, 0 when not pinching
      this.lastTap = null; // {x, y, time} of the last tap in the middle, for double taps
      this.tapTimer = null;
      this.wheel = 0;
      this.followed = null;
      this.onMove = (event) => this.move(event);
      this.onEnd = (event) => this.end(event);
      const options = { capture: true, passive: false };
      stage.addEventListener("touchstart", (event) => this.start(event), options);
      stage.addEventListener("touchmove", this.onMove, options);
      stage.addEventListener("touchend", this.onEnd, options);
      stage.addEventListener("touchcancel", this.onEnd, options);
      area.addEventListener("mousedown", (event) => this.mouseDown(event), { capture: true });
      area.addEventListener("click", (event) => this.click(event));
      stage.addEventListener("dblclick", (event) => this.doubleClick(event));
      stage.addEventListener("wheel", (event) => this.wheelZoom(event), { passive: false });
    }

    /* ---- where a point is on the book -------------------------------------------------- */

    /* -1 (left part), 0 (middle), +1 (right part) of the pages on screen. */
    zone(x) {
      const book = this.player.book;
      const rect = book && book.pagesRect();
      if (!rect || rect.width <= 0) return 0;
      const at = (x - rect.left) / rect.width;
      if (at < OUTER) return -1;
      if (at > 1 - OUTER) return 1;
      return 0;
    }

    inZoom(target) {
      return this.zoomView.contains(target);
    }

    /* ---- touches ------------------------------------------------------------------------ */

    start(event) {
      if (event.touches.length >= 2) {
        this.cancelTouch();
        this.pinch = distance(event.touches);
        event.stopPropagation();
        // A step re-renders the zoom view and can remove the element the fingers landed on;
        // its later touch events go to that detached element alone, so they are heard there.
        this.follow(event.target);
        return;
      }
      const target = event.target;
      // Controls and links on pages keep the browser's own tap (a click).
      if (target.closest && target.closest(CONTROLS)) return;
      const point = event.changedTouches[0];
      const zoomed = this.inZoom(target);
      this.touch = {
        id: point.identifier,
        x: point.clientX,
        y: point.clientY,
        time: event.timeStamp,
        mode: "pending",
        zoomed: zoomed,
      };
      if (zoomed) return; // the zoom view scrolls natively under the finger
      // page-flip never sees it. Not prevented: a finger moving up or down scrolls the page the
      // player is embedded in (touch-action: pan-y); sideways and still ones are ours.
      event.stopPropagation();
    }

    move(event) {
      if (this.pinch) {
        this.pinchMove(event);
        return;
      }
      const gesture = this.touch;
      if (!gesture) return;
      const point = this.find(event.changedTouches, gesture.id);
      if (!point) return;
      const dx = point.clientX - gesture.x;
      const dy = point.clientY - gesture.y;
      if (gesture.zoomed) {
        if (Math.hypot(dx, dy) > MOVE) gesture.mode = "pan";
        return;
      }
      event.stopPropagation();
      if (gesture.mode === "pending" && Math.abs(dy) > MOVE && Math.abs(dy) > Math.abs(dx)) {
        gesture.mode = "scroll"; // the browser scrolls the host page (it cancels the touch)
        return;
      }
      if (gesture.mode === "scroll") return;
      if (event.cancelable) event.preventDefault();
      if (gesture.mode === "pending" && Math.hypot(dx, dy) > MOVE) {
        const held = event.timeStamp - gesture.time >= HOLD_MS;
        gesture.mode = held && this.player.book && this.player.book.startDrag(gesture.x, gesture.y) ? "drag" : "swipe";
      }
      if (gesture.mode === "drag") this.player.book.drag(point.clientX, point.clientY);
    }

    end(event) {
      if (this.pinch) {
        if (event.touches.length < 2) {
          this.pinch = 0;
          this.unfollow();
        }
        return;
      }
      const gesture = this.touch;
      if (!gesture) return;
      const point = this.find(event.changedTouches, gesture.id);
      if (!point) return;
      this.touch = null;
      this.touchedAt = event.timeStamp;
      if (event.type === "touchcancel") {
        if (gesture.mode === "drag") this.player.book.endDrag(point.clientX, point.clientY);
        return;
      }
      const dx = point.clientX - gesture.x;
      const dy = point.clientY - gesture.y;
      if (!gesture.zoomed) {
        event.stopPropagation();
        if (event.cancelable) event.preventDefault();
      }
      this.player.interacted();
      if (gesture.mode === "drag") {
        this.player.book.endDrag(point.clientX, point.clientY);
      } else if (gesture.mode === "swipe") {
        if (Math.abs(dx) > SWIPE && Math.abs(dx) > Math.abs(dy)) this.player.turnVisual(dx < 0 ? 1 : -1);
      } else if (gesture.mode === "pending") {
        this.tap(point.clientX, point.clientY, event.timeStamp, gesture.zoomed);
      }
    }

    find(touches, id) {
      for (const touch of touches) if (touch.identifier === id) return touch;
      return null;
    }

    cancelTouch() {
      const gesture = this.touch;
      this.touch = null;
      if (gesture && gesture.mode === "drag") this.player.book.endDrag(gesture.x, gesture.y);
    }

    tap(x, y, time, zoomed) {
      const zone = zoomed ? 0 : this.zone(x);
      if (zone !== 0) {
        this.lastTap = null;
        this.player.turnVisual(zone);
        return;
      }
      const last = this.lastTap;
      if (last && time - last.time < DOUBLE_MS && Math.hypot(x - last.x, y - last.y) < DOUBLE_PX) {
        this.lastTap = null;
        clearTimeout(this.tapTimer);
        this.player.zoomAt(x, y);
        return;
      }
      this.lastTap = { x: x, y: y, time: time };
      clearTimeout(this.tapTimer);
      this.tapTimer = setTimeout(() => this.player.layout.toggle(), DOUBLE_MS);
    }

    /* ---- two fingers -------------------------------------------------------------------- */

    pinchMove(event) {
      if (event.touches.length !== 2) return;
      event.stopPropagation();
      if (event.cancelable) event.preventDefault();
      const now = distance(event.touches);
      const ratio = now / this.pinch;
      if (ratio >= SPREAD || ratio <= CLOSE) {
        this.player.zoomStep(ratio >= SPREAD ? 1 : -1);
        this.pinch = now;
      }
    }

    follow(target) {
      this.unfollow();
      this.followed = target;
      target.addEventListener("touchmove", this.onMove, { passive: false });
      target.addEventListener("touchend", this.onEnd, { passive: false });
      target.addEventListener("touchcancel", this.onEnd, { passive: false });
    }

    unfollow() {
      const target = this.followed;
      if (!target) return;
      target.removeEventListener("touchmove", this.onMove);
      target.removeEventListener("touchend", this.onEnd);
      target.removeEventListener("touchcancel", this.onEnd);
      this.followed = null;
    }

    /* ---- mouse -------------------------------------------------------------------------- */

    /* The middle of the book is for the controls and for zooming: page-flip only hears presses
     * on the outer parts (where its corners are). */
    mouseDown(event) {
      if (event.button !== 0 || (event.target.closest && event.target.closest("a"))) return;
      if (this.zone(event.clientX) === 0) event.stopPropagation();
    }

    /* A touch the browser also reports as mouse clicks (the zoom view lets the browser have
     * its touches, to scroll): already read as a tap above. */
    fromTouch(event) {
      return this.touchedAt !== undefined && event.timeStamp - this.touchedAt < 1000;
    }

    click(event) {
      if (this.fromTouch(event) || (event.target.closest && event.target.closest("a"))) return;
      if (this.zone(event.clientX) !== 0) return;
      clearTimeout(this.tapTimer);
      if (event.detail > 1) return; // the second click of a double click
      this.tapTimer = setTimeout(() => this.player.layout.toggle(), DOUBLE_MS);
    }

    doubleClick(event) {
      if (this.fromTouch(event) || (event.target.closest && event.target.closest(CONTROLS))) return;
      const zoomed = this.inZoom(event.target);
      if (!zoomed && this.zone(event.clientX) !== 0) return;
      clearTimeout(this.tapTimer);
      event.preventDefault();
      this.player.zoomAt(event.clientX, event.clientY);
    }

    wheelZoom(event) {
      if (!event.ctrlKey) return;
      event.preventDefault(); // never the browser's own page zoom
      this.wheel += event.deltaY;
      if (Math.abs(this.wheel) < WHEEL_STEP) return;
      const step = this.wheel < 0 ? 1 : -1;
      this.wheel = 0;
      this.player.zoomStep(step, event.clientX, event.clientY);
    }
  }

  Flipshelf.Gestures = Gestures;
})();

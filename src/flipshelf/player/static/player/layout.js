/* Where the controls go, decided by the slot's own size (the iframe's viewport), never by the
 * device: the pages come first.
 *
 * - Docked: the bars sit above and below the book when that costs the page(s) less than a tenth
 *   of their area (a tall phone slot has room to spare under a portrait page).
 * - Overlay: otherwise (a landscape phone, the default 650 x 385 embed, a 350 x 250 slot, full
 *   screen) the book takes the whole slot and the bars float over it; they fade away after a
 *   few idle seconds and come back on a pointer move, a tap in the middle of the page, or focus.
 * - A panel opened in a wide slot docks beside the book (the book shrinks to the rest), so it
 *   never covers the page it sends the reader to; in a narrow slot it covers the stage and
 *   closes when it sends the reader somewhere. */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});
  const IDLE_MS = 3500;
  const KEEP = 0.9; // docked only if the page(s) keep this share of their area
  const PAD = 8; // the book area's margin, both sides together
  const WIDE_PANELS = "(min-width: 760px) and (min-height: 360px)";

  /* The area the page(s) take when fitted in w x h, as the book lays them out. */
  function pagesArea(w, h, ratio) {
    if (w <= 0 || h <= 0) return 0;
    if (Flipshelf.wantsSpread(w, h, ratio)) {
      const width = Math.min(w / 2, h * ratio);
      return 2 * width * (width / ratio);
    }
    const width = Math.min(w, h * ratio);
    return width * (width / ratio);
  }

  class Layout {
    constructor(onChange) {
      this.onChange = onChange; // the stage changed size: the book lays itself out again
      this.root = document.documentElement;
      this.app = document.getElementById("fs-app");
      this.top = document.getElementById("fs-top");
      this.toolbar = document.getElementById("fs-toolbar");
      this.hits = document.getElementById("fs-hits");
      this.ratio = Math.SQRT1_2; // A4 until the book says otherwise
      this.panel = null; // the open panel's element
      this.wide = matchMedia(WIDE_PANELS);
      this.hidden = false;
      this.timer = null;
      this.hovered = false;
      this.wire();
    }

    wire() {
      new ResizeObserver(() => this.update()).observe(this.app);
      this.wide.addEventListener("change", () => this.update());
      document.addEventListener("pointermove", (event) => {
        if (event.pointerType !== "touch") this.show();
      });
      for (const bar of [this.top, this.toolbar]) {
        bar.addEventListener("pointerenter", () => (this.hovered = true));
        bar.addEventListener("pointerleave", () => {
          this.hovered = false;
          this.later();
        });
        // A tap on a faded bar shows it first instead of pressing a control nobody can see.
        bar.addEventListener(
          "click",
          (event) => {
            if (this.hidden) {
              event.preventDefault();
              event.stopPropagation();
              this.show();
            }
          },
          { capture: true }
        );
      }
      document.addEventListener("focusin", (event) => {
        if (event.target.closest && event.target.closest(".fs-bar, .fs-side, .fs-hits, .fs-return")) this.show();
      });
      this.later();
    }

    setRatio(ratio) {
      if (ratio > 0 && Math.abs(ratio - this.ratio) > 1e-3) {
        this.ratio = ratio;
        this.update();
      }
    }

    /* Decides docked or overlay and the stage's insets; tells the book when its stage moved. */
    update() {
      const root = this.root;
      const width = this.app.clientWidth;
      const height = this.app.clientHeight;
      const docking = !!this.panel && this.wide.matches;
      const right = docking ? this.panel.offsetWidth : 0;
      const bars = this.top.offsetHeight + this.toolbar.offsetHeight;
      const w = width - right - PAD;
      const full = pagesArea(w, height - PAD, this.ratio);
      const docked = pagesArea(w, height - PAD - bars, this.ratio) >= KEEP * full;
      const hits = this.hits.hidden ? 0 : this.hits.offsetHeight;
      const insets = {
        top: docked ? this.top.offsetHeight : hits,
        bottom: docked ? this.toolbar.offsetHeight : 0,
        right: right,
      };
      root.dataset.chrome = docked ? "docked" : "overlay";
      root.dataset.panel = this.panel ? (docking ? "docked" : "over") : "none";
      const key = [insets.top, insets.bottom, insets.right, width, height].join();
      root.style.setProperty("--fs-inset-top", insets.top + "px");
      root.style.setProperty("--fs-inset-bottom", insets.bottom + "px");
      root.style.setProperty("--fs-inset-right", insets.right + "px");
      if (docked) this.show();
      else this.later();
      if (key !== this.key) {
        this.key = key;
        this.onChange();
      }
    }

    get docked() {
      return this.root.dataset.chrome === "docked";
    }

    /* A panel opened (element) or closed (null). */
    setPanel(panel) {
      this.panel = panel;
      this.update();
      if (panel) this.show();
    }

    /* Whether an open panel lies over the stage (narrow slots) rather than beside it. */
    get panelCovers() {
      return !!this.panel && !this.wide.matches;
    }

    /* ---- fading bars (overlay only) ------------------------------------------------------ */

    show() {
      if (this.hidden) {
        this.hidden = false;
        delete this.root.dataset.chromeHidden;
      }
      this.later();
    }

    hide() {
      if (this.docked || this.panel || this.hovered) return;
      const focus = document.activeElement;
      if (focus && focus.closest && focus.closest(".fs-bar, .fs-side, .fs-hits, .fs-return")) return;
      this.hidden = true;
      this.root.dataset.chromeHidden = "true";
    }

    toggle() {
      if (this.hidden) this.show();
      else this.hide();
    }

    later() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.hide(), IDLE_MS);
    }
  }

  Flipshelf.Layout = Layout;
  Flipshelf.pagesArea = pagesArea;
})();

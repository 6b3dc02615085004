/* The panels: flipbooks of the collection, table of contents, page thumbnails, search, the text
 * of the pages in view, sharing, and the controls menu of narrow slots. One is open at a time;
 * opening moves focus into it, closing returns it to its button. Everything from a document
 * (outline titles, page text) is set as text, never as markup. Where a panel goes (beside the
 * book, or over it) is layout.js's business. */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});
  const el = Flipshelf.el;

  function pageButton(label, number, go) {
    const button = el("button", "fs-item");
    button.type = "button";
    button.dataset.page = String(number);
    button.appendChild(el("span", "fs-item-label", label));
    button.appendChild(el("span", "fs-item-page", String(number)));
    button.addEventListener("click", () => go(number));
    return button;
  }

  /* The outline entry the reader is in: the last one, in reading order, starting at or before
   * `page`; with the entries leading to it. */
  function currentPath(entries, page) {
    let best = [];
    function walk(list, trail) {
      for (const entry of list) {
        const path = trail.concat([entry]);
        if (entry.page && entry.page <= page) best = path;
        if (entry.children && entry.children.length) walk(entry.children, path);
      }
    }
    walk(entries || [], []);
    return best;
  }

  class Panels {
    constructor(player) {
      this.player = player;
      this.open = null;
      this.toggles = Array.from(document.querySelectorAll("[data-panel]"));
      for (const toggle of this.toggles) {
        toggle.addEventListener("click", () => this.toggle(toggle.dataset.panel));
      }
      for (const close of document.querySelectorAll(".fs-panel [data-close]")) {
        close.addEventListener("click", () => this.close());
      }
      for (const item of document.querySelectorAll("[data-menu-action], [data-menu-panel]")) {
        item.addEventListener("click", () => this.fromMenu(item));
      }
      this.thumbs = document.getElementById("fs-thumbs");
      this.thumbsFor = null;
      this.expanded = new Set(); // outline entries the reader opened
      this.search = new Flipshelf.Search(player);
    }

    panel(name) {
      return document.getElementById("fs-panel-" + name);
    }

    toggle(name) {
      if (this.open === name) this.close();
      else this.show(name);
    }

    show(name) {
      if (this.open) this.close(true);
      this.open = name;
      const panel = this.panel(name);
      panel.hidden = false;
      for (const toggle of this.toggles) {
        toggle.setAttribute("aria-expanded", String(toggle.dataset.panel === name));
      }
      this.player.layout.setPanel(panel);
      this.refresh();
      const target = name === "search" ? document.getElementById("fs-search-input") : panel.querySelector("h2");
      target.focus({ preventScroll: true });
      if (name === "thumbs") this.scrollToCurrent();
      if (name === "contents") this.scrollToSection();
      this.search.showBar();
    }

    close(quietly) {
      if (!this.open) return;
      const name = this.open;
      this.panel(name).hidden = true;
      this.open = null;
      if (!quietly) this.player.layout.setPanel(null);
      const toggle = this.toggles.find((t) => t.dataset.panel === name && t.offsetParent !== null);
      for (const other of this.toggles) if (other.dataset.panel === name) other.setAttribute("aria-expanded", "false");
      if (toggle && !quietly) toggle.focus({ preventScroll: true });
      this.search.showBar();
    }

    /* Sends the reader to a page: a panel lying over the book gets out of the way. */
    leaveFor() {
      if (this.open && this.player.layout.panelCovers) {
        this.close(true);
        this.player.layout.setPanel(null);
      }
    }

    fromMenu(item) {
      this.close(true);
      this.player.layout.setPanel(null);
      if (item.dataset.menuPanel) this.show(item.dataset.menuPanel);
      else this.player.act(item.dataset.menuAction);
    }

    /* The book changed, a page turned or more pages became ready. */
    refresh() {
      if (this.open === "books") this.player.markShelf();
      if (this.open === "contents") this.renderContents();
      if (this.open === "thumbs") this.renderThumbs();
      if (this.open === "text") this.renderText();
    }

    bookChanged() {
      this.thumbsFor = null;
      this.expanded = new Set();
      this.search.reset();
      this.refresh();
    }

    /* ---- contents: collapsible, the reader's section marked ---------------------------------- */

    renderContents() {
      const holder = document.getElementById("fs-contents");
      const book = this.player.book;
      holder.textContent = "";
      const outline = book && book.manifest ? book.manifest.outline : [];
      if (!outline || !outline.length) {
        holder.appendChild(el("p", "fs-toc-text", "This flipbook has no table of contents."));
        return;
      }
      const visible = book.visiblePages();
      const path = currentPath(outline, visible[visible.length - 1] || 1);
      for (const entry of path.slice(0, -1)) this.expanded.add(entry);
      holder.appendChild(this.outlineList(outline, path[path.length - 1] || null));
    }

    outlineList(entries, current) {
      const list = el("ul");
      for (const entry of entries) {
        const item = el("li");
        const row = el("div", "fs-toc-row");
        const children = entry.children && entry.children.length ? entry.children : null;
        if (children) {
          const open = this.expanded.has(entry);
          const twisty = el("button", "fs-toc-toggle");
          twisty.type = "button";
          twisty.setAttribute("aria-expanded", String(open));
          twisty.setAttribute("aria-label", (open ? "Collapse " : "Expand ") + entry.title);
          twisty.addEventListener("click", () => {
            const opening = !this.expanded.has(entry);
            const sub = item.querySelector(":scope > ul");
            if (sub) sub.remove();
            if (opening) {
              this.expanded.add(entry);
              item.appendChild(this.outlineList(children, current));
            } else {
              this.expanded.delete(entry);
            }
            twisty.setAttribute("aria-expanded", String(opening));
            twisty.setAttribute("aria-label", (opening ? "Collapse " : "Expand ") + entry.title);
          });
          row.appendChild(twisty);
        }
        let label;
        if (entry.page) label = pageButton(entry.title, entry.page, (n) => this.player.goFromPanel(n));
        else label = el("span", "fs-toc-text", entry.title);
        if (entry === current) {
          label.setAttribute("aria-current", "location");
          label.classList.add("fs-current");
        }
        row.appendChild(label);
        item.appendChild(row);
        if (children && this.expanded.has(entry)) item.appendChild(this.outlineList(children, current));
        list.appendChild(item);
      }
      return list;
    }

    scrollToSection() {
      const current = document.querySelector("#fs-contents [aria-current]");
      if (current) current.scrollIntoView({ block: "nearest" });
    }

    /* ---- thumbnails -------------------------------------------------------------------- */

    renderThumbs() {
      const book = this.player.book;
      if (!book || !book.manifest) return;
      // Thumbnails come with the text (manifest version 4): drawn again as either grows.
      const manifest = book.manifest;
      const key = book.hash + ":" + manifest.pagesReady + ":" + Flipshelf.textReady(manifest);
      if (this.thumbsFor !== key) {
        this.thumbsFor = key;
        this.thumbs.textContent = "";
        for (let n = 1; n <= book.pageCount; n++) {
          const item = el("li");
          const button = el("button");
          button.type = "button";
          button.dataset.page = String(n);
          button.setAttribute("aria-label", "Page " + n);
          const url = book.imageUrl(n, "thumb");
          if (url) {
            const img = el("img");
            img.loading = "lazy";
            img.alt = "";
            img.src = url;
            button.appendChild(img);
          } else {
            button.appendChild(el("span", "fs-thumb-wait", "…"));
          }
          button.appendChild(el("span", "", String(n)));
          button.addEventListener("click", () => this.player.goFromPanel(n));
          item.appendChild(button);
          this.thumbs.appendChild(item);
        }
      }
      this.markCurrent();
    }

    markCurrent() {
      const visible = this.player.book ? this.player.book.visiblePages() : [];
      for (const button of this.thumbs.querySelectorAll("button[aria-current]")) {
        button.removeAttribute("aria-current");
      }
      for (const n of visible) {
        const button = this.thumbs.querySelector('button[data-page="' + n + '"]');
        if (button) button.setAttribute("aria-current", "page");
      }
    }

    scrollToCurrent() {
      const current = this.thumbs.querySelector("button[aria-current]");
      if (current) current.scrollIntoView({ block: "nearest", inline: "center" });
    }

    /* ---- text of the pages in view ------------------------------------------------------- */

    async renderText() {
      const holder = document.getElementById("fs-text");
      const book = this.player.book;
      if (!book || !book.manifest) return;
      const pages = book.visiblePages();
      const texts = await Promise.all(
        pages.map((n) => (book.hasText(n) ? book.source.text(book.hash, book.manifest, n) : Promise.resolve(null)))
      );
      if (this.open !== "text" || this.player.book !== book) return;
      holder.textContent = "";
      pages.forEach((n, i) => {
        holder.appendChild(el("h3", "", "Page " + n));
        const text = texts[i] === null ? null : Flipshelf.cleanText(texts[i]);
        holder.appendChild(
          el("p", "", text === null ? "This page is being prepared." : text.trim() ? text : "This page has no text.")
        );
      });
    }
  }

  Flipshelf.Panels = Panels;
  Flipshelf.currentPath = currentPath;
})();

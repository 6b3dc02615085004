/* The side panels: table of contents, page thumbnails, search, and the text of the pages in
 * view. One is open at a time; opening moves focus into it, closing returns it to its button.
 * Everything from a document (outline titles, page text) is set as text, never as markup. */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});
  const MAX_RESULTS = 200;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function pageButton(label, number, go) {
    const button = el("button", "fs-item");
    button.type = "button";
    button.dataset.page = String(number);
    button.appendChild(el("span", "fs-item-label", label));
    button.appendChild(el("span", "fs-item-page", String(number)));
    button.addEventListener("click", () => go(number));
    return button;
  }

  /* "…words before <mark>match</mark> words after…", built from text nodes. */
  function snippet(text, at, length) {
    const holder = el("span", "fs-snippet");
    const start = Math.max(0, at - 40);
    const end = Math.min(text.length, at + length + 60);
    holder.appendChild(document.createTextNode((start > 0 ? "…" : "") + text.slice(start, at)));
    holder.appendChild(el("mark", "", text.slice(at, at + length)));
    holder.appendChild(document.createTextNode(text.slice(at + length, end) + (end < text.length ? "…" : "")));
    return holder;
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
      this.searchForm = document.getElementById("fs-search-form");
      this.searchInput = document.getElementById("fs-search-input");
      this.searchStatus = document.getElementById("fs-search-status");
      this.results = document.getElementById("fs-search-results");
      this.searchForm.addEventListener("submit", (event) => {
        event.preventDefault();
        this.search(this.searchInput.value);
      });
      this.thumbs = document.getElementById("fs-thumbs");
      this.thumbsFor = null;
      this.texts = null;
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
      this.panel(name).hidden = false;
      for (const toggle of this.toggles) {
        toggle.setAttribute("aria-expanded", String(toggle.dataset.panel === name));
      }
      this.refresh();
      const target = name === "search" ? this.searchInput : this.panel(name).querySelector("h2");
      target.focus();
      if (name === "thumbs") this.scrollToCurrent();
    }

    close(quietly) {
      if (!this.open) return;
      const name = this.open;
      this.panel(name).hidden = true;
      this.open = null;
      const toggle = this.toggles.find((t) => t.dataset.panel === name);
      if (toggle) {
        toggle.setAttribute("aria-expanded", "false");
        if (!quietly) toggle.focus();
      }
    }

    /* The book changed, a page turned or more pages became ready. */
    refresh() {
      if (this.open === "contents") this.renderContents();
      if (this.open === "thumbs") this.renderThumbs();
      if (this.open === "text") this.renderText();
    }

    bookChanged() {
      this.thumbsFor = null;
      this.texts = null;
      this.results.textContent = "";
      this.searchStatus.textContent = "";
      this.refresh();
    }

    /* ---- contents ---------------------------------------------------------------------- */

    renderContents() {
      const holder = document.getElementById("fs-contents");
      const book = this.player.book;
      holder.textContent = "";
      const outline = book && book.manifest ? book.manifest.outline : [];
      if (!outline || !outline.length) {
        holder.appendChild(el("p", "fs-toc-text", "This flipbook has no table of contents."));
        return;
      }
      holder.appendChild(this.outlineList(outline));
    }

    outlineList(entries) {
      const list = el("ul");
      for (const entry of entries) {
        const item = el("li");
        if (entry.page) item.appendChild(pageButton(entry.title, entry.page, (n) => this.player.goFromPanel(n)));
        else item.appendChild(el("span", "fs-toc-text", entry.title));
        if (entry.children && entry.children.length) item.appendChild(this.outlineList(entry.children));
        list.appendChild(item);
      }
      return list;
    }

    /* ---- thumbnails -------------------------------------------------------------------- */

    renderThumbs() {
      const book = this.player.book;
      if (!book || !book.manifest) return;
      const key = book.hash + ":" + book.manifest.pagesReady;
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

    /* ---- search ------------------------------------------------------------------------ */

    async search(query) {
      const book = this.player.book;
      const words = query.trim().toLowerCase();
      this.results.textContent = "";
      if (!book || !book.manifest) return;
      if (words.length < 2) {
        this.searchStatus.textContent = "Type at least two letters.";
        return;
      }
      this.searchStatus.textContent = "Searching…";
      const ready = book.manifest.pagesReady;
      if (!this.texts || this.texts.ready !== ready || this.texts.hash !== book.hash) {
        const texts = await book.source.allText(book.hash, book.manifest);
        this.texts = { hash: book.hash, ready: ready, pages: texts, lower: texts.map((t) => (t || "").toLowerCase()) };
      }
      let found = 0;
      for (let i = 0; i < this.texts.lower.length && found < MAX_RESULTS; i++) {
        const at = this.texts.lower[i].indexOf(words);
        if (at < 0) continue;
        found++;
        const item = el("li");
        const button = el("button", "fs-item");
        button.type = "button";
        button.dataset.page = String(i + 1);
        button.appendChild(el("strong", "", "Page " + (i + 1) + ": "));
        button.appendChild(snippet(this.texts.pages[i], at, words.length));
        button.addEventListener("click", () => this.player.goFromPanel(i + 1));
        item.appendChild(button);
        this.results.appendChild(item);
      }
      const partial = ready < book.pageCount ? " (" + ready + " of " + book.pageCount + " pages are ready)" : "";
      this.searchStatus.textContent =
        (found === 0 ? "No page contains “" + query.trim() + "”" : found + (found === 1 ? " page found" : " pages found")) +
        (found >= MAX_RESULTS ? " (first " + MAX_RESULTS + " shown)" : "") +
        partial +
        ".";
    }

    /* ---- text of the pages in view ------------------------------------------------------- */

    async renderText() {
      const holder = document.getElementById("fs-text");
      const book = this.player.book;
      if (!book || !book.manifest) return;
      const pages = book.visiblePages();
      const texts = await Promise.all(
        pages.map((n) => (book.isReady(n) ? book.source.text(book.hash, book.manifest, n) : Promise.resolve(null)))
      );
      if (this.open !== "text" || this.player.book !== book) return;
      holder.textContent = "";
      pages.forEach((n, i) => {
        holder.appendChild(el("h3", "", "Page " + n));
        const text = texts[i];
        holder.appendChild(
          el("p", "", text === null ? "This page is being prepared." : text.trim() ? text : "This page has no text.")
        );
      });
    }
  }

  Flipshelf.Panels = Panels;
})();

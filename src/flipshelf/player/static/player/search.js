/* Search: which pages hold the words (from the page text), the matches drawn on the page images
 * (from the word positions the conversion keeps), and moving from match to match.
 *
 * A search lists the pages that contain the words; choosing one, or the next/previous match
 * (F3 / Shift+F3, Enter / Shift+Enter in the field, the arrows of the matches bar), turns there and
 * highlights every match on the pages in view. Snippets are text: control characters are removed
 * (PDF text often carries them and fonts draw them as boxes). */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});
  const el = Flipshelf.el;
  const MAX_RESULTS = 200;
  // C0 and C1 controls except tab and line feed, and the Unicode replacement character.
  const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/g;
  const EDGES = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;

  function clean(text) {
    return (text || "").replace(CONTROLS, " ");
  }

  /* "…words before <mark>match</mark> words after…", built from text nodes. */
  function snippet(text, at, length) {
    const holder = el("span", "fs-snippet");
    const start = Math.max(0, at - 40);
    const end = Math.min(text.length, at + length + 60);
    const squash = (part) => clean(part).replace(/\s+/g, " ");
    holder.appendChild(document.createTextNode((start > 0 ? "…" : "") + squash(text.slice(start, at))));
    holder.appendChild(el("mark", "", squash(text.slice(at, at + length))));
    holder.appendChild(document.createTextNode(squash(text.slice(at + length, end)) + (end < text.length ? "…" : "")));
    return holder;
  }

  function word(text) {
    return text.toLowerCase().replace(EDGES, "");
  }

  /* The rectangles of the words matching `query` on a page whose words are
   * [[left, top, right, bottom, text], ...]. One word: any word containing it. Several: runs of
   * words ending with the first, equal to the middle ones, starting with the last. */
  function matchWords(words, query) {
    const tokens = query.toLowerCase().split(/\s+/).map((t) => t.replace(EDGES, "")).filter(Boolean);
    const rects = [];
    if (!tokens.length || !words) return rects;
    const texts = words.map((w) => word(String(w[4] || "")));
    const last = tokens.length - 1;
    for (let i = 0; i + last < texts.length; i++) {
      let ok = true;
      for (let k = 0; k <= last && ok; k++) {
        const text = texts[i + k];
        const token = tokens[k];
        if (last === 0) ok = text.indexOf(token) >= 0;
        else if (k === 0) ok = text.endsWith(token);
        else if (k === last) ok = text.startsWith(token);
        else ok = text === token;
      }
      if (ok) for (let k = 0; k <= last; k++) rects.push(words[i + k].slice(0, 4));
    }
    return rects;
  }

  class Search {
    constructor(player) {
      this.player = player;
      this.input = document.getElementById("fs-search-input");
      this.status = document.getElementById("fs-search-status");
      this.results = document.getElementById("fs-search-results");
      this.bar = document.getElementById("fs-hits");
      this.where = document.getElementById("fs-hits-where");
      this.texts = null;
      this.query = "";
      this.hits = []; // page numbers with a match, in order
      this.current = -1;
      document.getElementById("fs-search-form").addEventListener("submit", (event) => {
        event.preventDefault();
        this.run(this.input.value);
      });
      this.input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && event.shiftKey && this.hits.length) {
          event.preventDefault();
          this.step(-1);
        }
      });
      for (const button of this.bar.querySelectorAll("[data-hit]")) {
        button.addEventListener("click", () => {
          const step = Number(button.dataset.hit);
          if (step) this.step(step);
          else this.end();
        });
      }
    }

    get active() {
      return this.hits.length > 0;
    }

    /* The book changed: its matches mean nothing in the next one. */
    reset() {
      this.texts = null;
      this.end();
      this.results.textContent = "";
      this.status.textContent = "";
    }

    end() {
      this.hits = [];
      this.current = -1;
      this.query = "";
      if (this.player.book) this.player.book.clearMarks();
      this.player.zoom.render();
      this.showBar();
    }

    async run(query) {
      const book = this.player.book;
      const words = query.trim().toLowerCase();
      this.results.textContent = "";
      if (!book || !book.manifest) return;
      if (words.length < 2) {
        this.status.textContent = "Type at least two letters.";
        return;
      }
      if (words === this.query && this.hits.length) {
        this.step(1); // Enter again in the field: the next match
        return;
      }
      this.end();
      this.status.textContent = "Searching…";
      const ready = Flipshelf.textReady(book.manifest);
      if (!this.texts || this.texts.ready !== ready || this.texts.hash !== book.hash) {
        const texts = await book.source.allText(book.hash, book.manifest);
        this.texts = { hash: book.hash, ready: ready, pages: texts, lower: texts.map((t) => (t || "").toLowerCase()) };
      }
      if (this.player.book !== book) return;
      this.query = words;
      for (let i = 0; i < this.texts.lower.length; i++) {
        const at = this.texts.lower[i].indexOf(words);
        if (at < 0) continue;
        this.hits.push(i + 1);
        if (this.hits.length <= MAX_RESULTS) this.results.appendChild(this.result(i, at, words.length));
      }
      const found = this.hits.length;
      const partial = ready < book.pageCount ? " (" + ready + " of " + book.pageCount + " pages are ready)" : "";
      this.status.textContent =
        (found === 0 ? "No page contains “" + query.trim() + "”" : found + (found === 1 ? " page found" : " pages found")) +
        (found > MAX_RESULTS ? " (first " + MAX_RESULTS + " listed)" : "") +
        partial +
        ".";
      this.showBar();
      this.highlight();
    }

    result(index, at, length) {
      const item = el("li");
      const button = el("button", "fs-item");
      button.type = "button";
      button.dataset.page = String(index + 1);
      button.appendChild(el("strong", "", "Page " + (index + 1) + ": "));
      button.appendChild(snippet(this.texts.pages[index], at, length));
      button.addEventListener("click", () => this.goTo(this.hits.indexOf(index + 1)));
      item.appendChild(button);
      return item;
    }

    /* The next (+1) or previous (-1) page with a match, from where the reader is. */
    step(direction) {
      if (!this.hits.length) return;
      const visible = this.player.book ? this.player.book.visiblePages() : [];
      const here = direction > 0 ? visible[visible.length - 1] || 0 : visible[0] || Infinity;
      let index = -1;
      if (direction > 0) index = this.hits.findIndex((page) => page > here);
      else for (let i = this.hits.length - 1; i >= 0 && index < 0; i--) if (this.hits[i] < here) index = i;
      if (index < 0) index = direction > 0 ? 0 : this.hits.length - 1; // wrap around
      this.goTo(index);
    }

    goTo(index) {
      if (index < 0 || index >= this.hits.length) return;
      this.current = index;
      this.player.goFromPanel(this.hits[index]);
      this.showBar();
    }

    /* The matches bar: while a search has matches and its panel is not in view. */
    showBar() {
      const shown = this.hits.length > 0 && this.player.panels.open !== "search";
      const where = this.current >= 0 ? "Match " + (this.current + 1) + " of " + this.hits.length + " pages" : this.hits.length + " pages match";
      this.where.textContent = "“" + this.query + "”: " + where;
      if (this.bar.hidden === !shown) return;
      this.bar.hidden = !shown;
      this.player.layout.update();
    }

    /* Draws the matches on the pages in view (called after every turn). The words are read
     * first and the marks swapped in one go, so a turn never shows a page without its marks;
     * a newer call (another turn) makes an older one give up. */
    async highlight() {
      const book = this.player.book;
      const run = (this.runs = (this.runs || 0) + 1);
      const root = document.documentElement;
      delete root.dataset.marks;
      if (!book || !book.manifest) return;
      const query = this.query;
      const found = new Map();
      for (const number of query ? book.visiblePages() : []) {
        if (this.hits.indexOf(number) < 0 || !book.hasText(number)) continue;
        let words = null;
        try {
          words = await book.source.words(book.hash, book.manifest, number);
        } catch (error) {
          words = null;
        }
        if (this.runs !== run) return;
        found.set(number, matchWords(words, query));
      }
      if (this.runs !== run || this.player.book !== book) return;
      book.clearMarks();
      for (const [number, rects] of found) book.mark(number, rects);
      this.player.zoom.render();
      root.dataset.marks = String(document.querySelectorAll(".fs-book-area .fs-hit").length);
    }
  }

  Flipshelf.Search = Search;
  Flipshelf.matchWords = matchWords;
  Flipshelf.cleanText = clean;
})();

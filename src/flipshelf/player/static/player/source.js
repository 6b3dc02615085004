/* Where a flipbook's files come from: the server (`../f/<hash>/<file>`, with a private link's
 * `exp`/`sig` appended), or the offline package's data scripts (window.FLIPSHELF_OFFLINE), since
 * browsers refuse fetch on file:// (docs/packages.md). */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});

  class ServerSource {
    constructor(query, zoomWidths) {
      this.query = query ? "?" + query : "";
      this.zoomWidths = (zoomWidths || []).slice().sort((a, b) => a - b);
      this.texts = new Map(); // flipbook hash -> Map(page -> text)
      this.wordBoxes = new Map(); // flipbook hash -> Map(page -> words)
      this.inflight = new Map(); // flipbook hash -> the manifest request under way
    }

    url(hash, file) {
      return "../f/" + encodeURIComponent(hash) + "/" + file + this.query;
    }

    /* Page `number`'s zoom image as the server draws it on demand: the smallest width that is
     * at least `needed` device pixels (the largest if none is), or null if it draws none. */
    zoomUrl(hash, number, needed) {
      const widths = this.zoomWidths;
      if (!widths.length) return null;
      const width = widths.find((w) => w >= needed) || widths[widths.length - 1];
      return this.url(hash, "zoom/" + number + "-" + width + ".jpg");
    }

    /* The manifest, or null while the flipbook has none yet (its first page is converting).
     * Asked for twice at once (the shelf's cover and the book itself): one request. */
    manifest(hash) {
      let pending = this.inflight.get(hash);
      if (!pending) {
        pending = this.fetchManifest(hash).finally(() => this.inflight.delete(hash));
        this.inflight.set(hash, pending);
      }
      return pending;
    }

    async fetchManifest(hash) {
      // The server answers `Cache-Control: no-cache`, so the browser revalidates every fetch;
      // the default cache mode lets the first one use the page's <link rel=preload>.
      const response = await fetch(this.url(hash, "manifest.json"));
      if (response.status === 404) return null;
      if (!response.ok) throw new Error("manifest: HTTP " + response.status);
      return response.json();
    }

    async text(hash, manifest, number) {
      let cache = this.texts.get(hash);
      if (!cache) this.texts.set(hash, (cache = new Map()));
      if (cache.has(number)) return cache.get(number);
      const page = manifest.pages[number - 1];
      if (!page || !page.text) return "";
      const response = await fetch(this.url(hash, page.text));
      const text = response.ok ? await response.text() : "";
      cache.set(number, text);
      return text;
    }

    /* Where each word of a page is ([[left, top, right, bottom, text], ...], fractions of the
     * page), for drawing search matches; null when the conversion kept none. */
    async words(hash, manifest, number) {
      let cache = this.wordBoxes.get(hash);
      if (!cache) this.wordBoxes.set(hash, (cache = new Map()));
      if (cache.has(number)) return cache.get(number);
      const page = manifest.pages[number - 1];
      if (!page || !page.words) return null; // not read yet (kept none): not cached
      const response = await fetch(this.url(hash, page.words));
      const words = response.ok ? await response.json() : null;
      cache.set(number, words);
      return words;
    }

    /* The text of every ready page, for search: text/all.json once complete, else page by page. */
    async allText(hash, manifest) {
      if (manifest.textIndex) {
        const response = await fetch(this.url(hash, manifest.textIndex));
        if (response.ok) return response.json();
      }
      const texts = new Array(manifest.pageCount).fill("");
      const numbers = [];
      for (let n = 1, last = Flipshelf.textReady(manifest); n <= last; n++) numbers.push(n);
      const self = this;
      async function worker() {
        while (numbers.length) {
          const n = numbers.shift();
          texts[n - 1] = await self.text(hash, manifest, n);
        }
      }
      await Promise.all([worker(), worker(), worker(), worker()]);
      return texts;
    }
  }

  class OfflineSource {
    constructor(data) {
      this.data = data;
    }

    book(hash) {
      return this.data.books[hash] || null;
    }

    url(hash, file) {
      const book = this.book(hash);
      return (book ? book.base : "") + file;
    }

    async manifest(hash) {
      const book = this.book(hash);
      return book ? book.manifest : null;
    }

    /* A package never asks the server: it zooms into the images it holds. */
    zoomUrl() {
      return null;
    }

    async text(hash, manifest, number) {
      const book = this.book(hash);
      return (book && book.text && book.text[number - 1]) || "";
    }

    async allText(hash) {
      const book = this.book(hash);
      return (book && book.text) || [];
    }

    async words(hash, manifest, number) {
      const book = this.book(hash);
      return (book && book.words && book.words[number - 1]) || null;
    }
  }

  Flipshelf.sourceFor = function (config) {
    const offline = window.FLIPSHELF_OFFLINE;
    if (offline && config.offline) return new OfflineSource(offline);
    return new ServerSource(config.query, config.zoomWidths);
  };
})();

/* Sharing a page, and talking to the page the player is embedded in.
 *
 * Share: the Web Share API where the browser has it (phones: the system's share sheet), else a
 * panel with the link, copied to the clipboard. The link opens the player at the page in view
 * (`#page=N`, `#book=B&page=N`); a host page that joined the protocol below may offer its own
 * URL instead, so the link opens the flipbook on the host's site.
 *
 * postMessage protocol (opt-in, docs/player.md): nothing about the reader is sent until the
 * embedding page (window.parent) says hello; then it receives where the reader is on every turn,
 * and may send the player to a page. Messages are plain objects with `flipshelf: 1` and a `type`:
 *   player -> host  {type: "available"}                    on load, to any parent (no data)
 *   host -> player  {type: "hello", shareUrl?}             shareUrl: an http(s) URL with {page}, optional
 *   player -> host  {type: "ready", collection, book, page, pageCount, bookCount}
 *   player -> host  {type: "page", collection, book, page, pageCount}   after every turn
 *   host -> player  {type: "go", page, book?}
 * Messages are taken only from the parent window, and answered only to the origin that said
 * hello. A private collection's signature never leaves the player. */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});
  const MAX_URL = 2048;
  const PROTOCOL = 1;

  /* A host's share URL template, if it is one we may hand to a reader: http(s), not too long. */
  function shareTemplate(value) {
    if (typeof value !== "string" || value.length > MAX_URL) return null;
    try {
      const url = new URL(value.replace(/\{(page|book)\}/g, "1"));
      return url.protocol === "https:" || url.protocol === "http:" ? value : null;
    } catch (error) {
      return null;
    }
  }

  class Share {
    constructor(player) {
      this.player = player;
      this.host = null; // {origin, template} once the embedding page said hello
      this.panelInput = document.getElementById("fs-share-url");
      this.panelStatus = document.getElementById("fs-share-status");
      document.getElementById("fs-share-copy").addEventListener("click", () => this.copy(this.panelInput.value));
      window.addEventListener("message", (event) => this.receive(event));
      if (window.parent !== window) this.post({ type: "available" }, "*");
    }

    /* Offline (file://) there is nothing a link could point at. */
    get available() {
      return location.protocol === "http:" || location.protocol === "https:";
    }

    /* The link to the page in view. */
    url() {
      const where = this.player.where();
      if (this.host && this.host.template) {
        return this.host.template.replace(/\{page\}/g, String(where.page)).replace(/\{book\}/g, String(where.book));
      }
      const query = new URLSearchParams(location.search);
      query.delete("startBook");
      query.delete("startPage");
      const search = query.toString();
      const book = this.player.books.length > 1 ? "book=" + where.book + "&" : "";
      return location.origin + location.pathname + (search ? "?" + search : "") + "#" + book + "page=" + where.page;
    }

    async share() {
      const url = this.url();
      const data = { title: document.title, url: url };
      if (navigator.share && (!navigator.canShare || navigator.canShare(data))) {
        try {
          await navigator.share(data);
          return;
        } catch (error) {
          if (error && error.name === "AbortError") return; // the reader closed the sheet
        }
      }
      this.player.panels.show("share");
      this.panelInput.value = url;
      this.panelInput.select();
      await this.copy(url);
    }

    async copy(url) {
      try {
        await navigator.clipboard.writeText(url);
        this.panelStatus.textContent = "Link copied.";
      } catch (error) {
        this.panelInput.select();
        this.panelStatus.textContent = "Select the link and copy it.";
      }
    }

    /* ---- the host page ---------------------------------------------------------------- */

    post(message, origin) {
      try {
        window.parent.postMessage(Object.assign({ flipshelf: PROTOCOL }, message), origin);
      } catch (error) {
        /* a parent that went away */
      }
    }

    receive(event) {
      const data = event.data;
      if (event.source !== window.parent || window.parent === window) return;
      if (!data || typeof data !== "object" || data.flipshelf !== PROTOCOL) return;
      if (data.type === "hello") {
        this.host = { origin: event.origin, template: shareTemplate(data.shareUrl) };
        this.post(Object.assign({ type: "ready", bookCount: this.player.books.length }, this.position()), event.origin);
      } else if (data.type === "go" && this.host && event.origin === this.host.origin) {
        const page = Number(data.page);
        const book = data.book === undefined ? null : Number(data.book);
        if (Number.isInteger(page) && page > 0) this.player.openAt(Number.isInteger(book) ? book : null, page);
      }
    }

    position() {
      const where = this.player.where();
      return { collection: this.player.config.collection, book: where.book, page: where.page, pageCount: where.pageCount };
    }

    /* After every turn and book switch: tell a host that asked. */
    moved() {
      if (this.host) this.post(Object.assign({ type: "page" }, this.position()), this.host.origin);
    }
  }

  Flipshelf.Share = Share;
  Flipshelf.shareTemplate = shareTemplate;
})();

/* Reader events: what the reader does, sent to the server's events endpoint (docs/player.md).
 *
 * One small JSON object per event, sent with navigator.sendBeacon (it survives the page closing)
 * as text/plain, so it never needs a CORS preflight. Each kind carries exactly the fields the
 * server accepts for it:
 *   impression  {collection, session, type, flipbook}          the player loaded
 *   view        {collection, session, type, flipbook}          the reader's first interaction
 *   page        {collection, session, type, flipbook, page, seconds}   a page was shown
 *   click       {collection, session, type, flipbook, page}    a link on a page was followed
 *   download    {collection, session, type, flipbook}          (no download control yet)
 */
(function () {
  "use strict";
  const Flipshelf = (window.Flipshelf = window.Flipshelf || {});
  const MAX_SECONDS = 3600;

  function sessionId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  class ReaderEvents {
    constructor(url, collection) {
      this.url = url;
      this.collection = collection;
      this.session = sessionId();
      this.flipbook = null;
      this.viewed = false;
      this.shown = null; // {flipbook, pages, since}
      this.sent = []; // kept for tests and debugging: the last events sent
    }

    send(type, fields) {
      if (!this.url) return;
      const event = { collection: this.collection, session: this.session, type: type };
      Object.assign(event, fields);
      const body = JSON.stringify(event);
      this.sent.push(event);
      if (this.sent.length > 200) this.sent.shift();
      if (navigator.sendBeacon && navigator.sendBeacon(this.url, body)) return;
      fetch(this.url, {
        method: "POST",
        body: body,
        keepalive: true,
        credentials: "omit",
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
      }).catch(function () {});
    }

    impression(flipbook) {
      this.flipbook = flipbook;
      this.send("impression", { flipbook: flipbook });
    }

    interacted() {
      if (this.viewed || !this.flipbook) return;
      this.viewed = true;
      this.send("view", { flipbook: this.flipbook });
    }

    download() {
      if (this.flipbook) this.send("download", { flipbook: this.flipbook });
    }

    click(page) {
      if (this.flipbook) this.send("click", { flipbook: this.flipbook, page: page });
    }

    /* The pages now in view; the ones before are reported with the time they were shown. */
    showing(flipbook, pages) {
      const shown = this.shown;
      if (shown && shown.flipbook === flipbook && shown.pages.join() === pages.join()) return;
      this.flush();
      this.flipbook = flipbook;
      this.shown = { flipbook: flipbook, pages: pages.slice(), since: performance.now() };
    }

    /* Reports the pages in view so far. A spread's time is shared between its pages, so the
     * seconds of a session add up to the time it was read. */
    flush() {
      const shown = this.shown;
      if (!shown || shown.pages.length === 0) return;
      const seconds = (performance.now() - shown.since) / 1000 / shown.pages.length;
      const each = Math.min(MAX_SECONDS, Math.round(seconds * 10) / 10);
      for (const page of shown.pages) {
        this.send("page", { flipbook: shown.flipbook, page: page, seconds: each });
      }
      this.shown = null;
    }

    /* Hidden tabs do not count: report on hide, restart the clock on return. */
    watchVisibility(current) {
      const self = this;
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "hidden") {
          const shown = self.shown;
          self.flush();
          self.paused = shown;
        } else if (self.paused) {
          self.shown = { flipbook: self.paused.flipbook, pages: self.paused.pages, since: performance.now() };
          self.paused = null;
        } else {
          const now = current();
          if (now) self.showing(now.flipbook, now.pages);
        }
      });
      window.addEventListener("pagehide", function () {
        self.flush();
      });
    }
  }

  Flipshelf.ReaderEvents = ReaderEvents;
})();

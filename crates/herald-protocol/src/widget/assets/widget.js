/* Herald live notification widget: the <herald-notifications> element.
 *
 * Served by Herald at /_herald/widget.js; plain script, no build step, no
 * dependencies. Two ways to use it:
 *   <script src="https://herald.example/_herald/widget.js" data-token="…"></script>
 *     (the widget appears right after the script tag), or
 *   <herald-notifications token="…" server="https://herald.example">
 *     (token defaults to #token=… in the page URL, server to the page origin).
 * Attributes: `open` (panel shown), `inline` (panel in the page flow, not a
 * dropdown). Light DOM, so the host page can style and query it; every class
 * is prefixed `herald-`. Notification text arrives as HTML the server has
 * rendered from Markdown and sanitised; everything else goes in as text. */
(() => {
  'use strict';

  // Only set while this script first runs, so capture it now.
  const script = document.currentScript;
  const TAG = 'herald-notifications';

  const STRINGS = {
    en: {
      title: 'Notifications', unreadCount: (n) => `Notifications, ${n} unread`,
      readAll: 'Mark all as read', read: 'Mark as read', unread: 'Mark as unread',
      hide: 'Hide', empty: 'No notifications', unreadItem: 'Unread',
      expired: 'Your session has expired. Reload the page to continue.',
      noToken: 'No session token.', reconnecting: 'Reconnecting…',
      failed: 'The change could not be saved.', HIGH: 'High', URGENT: 'Urgent',
    },
    de: {
      title: 'Benachrichtigungen', unreadCount: (n) => `Benachrichtigungen, ${n} ungelesen`,
      readAll: 'Alle als gelesen markieren', read: 'Als gelesen markieren',
      unread: 'Als ungelesen markieren', hide: 'Ausblenden',
      empty: 'Keine Benachrichtigungen', unreadItem: 'Ungelesen',
      expired: 'Die Sitzung ist abgelaufen. Laden Sie die Seite neu.',
      noToken: 'Kein Sitzungstoken.', reconnecting: 'Verbindung wird wiederhergestellt…',
      failed: 'Die Änderung konnte nicht gespeichert werden.', HIGH: 'Hoch', URGENT: 'Dringend',
    },
  };

  // The browser's preference list, most wanted first (BCP 47 tags: de-DE).
  const LANGS = navigator.languages && navigator.languages.length
    ? [...navigator.languages] : [navigator.language || 'en-US'];
  const T = STRINGS[LANGS.map((l) => l.split('-')[0].toLowerCase()).find((l) => STRINGS[l])]
    || STRINGS.en;
  let RTF;
  try { RTF = new Intl.RelativeTimeFormat(LANGS, { numeric: 'auto' }); } catch { RTF = new Intl.RelativeTimeFormat('en', { numeric: 'auto' }); }
  const TIME_UNITS = [['year', 31536000], ['month', 2592000], ['week', 604800],
    ['day', 86400], ['hour', 3600], ['minute', 60]];
  // setTimeout fires at once for delays past 2^31-1 ms.
  const MAX_DELAY = 2 ** 31 - 1;

  const svg = (body) => '<svg viewBox="0 0 24 24" width="16" height="16" fill="none" '
    + 'stroke="currentColor" stroke-width="2" stroke-linecap="round" '
    + `stroke-linejoin="round" aria-hidden="true" focusable="false">${body}</svg>`;
  const ICONS = {
    bell: svg('<path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/>'
      + '<path d="M13.7 21a2 2 0 0 1-3.4 0"/>'),
    read: svg('<path d="M20 6 9 17l-5-5"/>'),
    unread: svg('<circle cx="12" cy="12" r="4" fill="currentColor"/>'),
    hide: svg('<path d="M18 6 6 18M6 6l12 12"/>'),
  };

  const CSS = `
herald-notifications{--herald-accent:#2563eb;--herald-bg:#fff;--herald-fg:#111827;
 --herald-muted:#6b7280;--herald-border:#e5e7eb;--herald-hover:#f3f4f6;
 display:inline-block;position:relative;color:var(--herald-fg);text-align:left;
 font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif}
herald-notifications[inline]{display:block}
herald-notifications [hidden]{display:none!important}
herald-notifications button{font:inherit;cursor:pointer}
herald-notifications button:focus-visible{outline:2px solid var(--herald-accent);outline-offset:2px}
.herald-bell{position:relative;display:inline-flex;align-items:center;justify-content:center;
 width:40px;height:40px;padding:0;border:1px solid var(--herald-border);border-radius:50%;
 background:var(--herald-bg);color:var(--herald-fg)}
.herald-bell:hover{background:var(--herald-hover)} .herald-bell svg{width:20px;height:20px}
.herald-expired .herald-bell{opacity:.5}
.herald-badge{position:absolute;top:-5px;right:-5px;min-width:18px;height:18px;padding:0 5px;
 box-sizing:border-box;border-radius:9px;background:#dc2626;color:#fff;font-size:11px;
 font-weight:700;line-height:18px;text-align:center}
.herald-panel{position:absolute;right:0;top:calc(100% + 8px);z-index:2147483000;
 width:min(380px,calc(100vw - 16px));max-height:min(520px,80vh);overflow:auto;
 background:var(--herald-bg);border:1px solid var(--herald-border);border-radius:10px;
 box-shadow:0 10px 30px rgba(0,0,0,.15)}
herald-notifications[inline] .herald-panel{position:static;width:auto;max-height:none;
 margin-top:8px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.herald-header{position:sticky;top:0;display:flex;align-items:center;justify-content:space-between;
 gap:8px;padding:10px 14px;border-bottom:1px solid var(--herald-border);background:var(--herald-bg)}
.herald-title{font-weight:600;font-size:15px}
.herald-read-all{padding:4px 6px;border:0;border-radius:6px;background:none;color:var(--herald-accent);font-size:13px!important}
.herald-read-all:hover{background:var(--herald-hover)}
.herald-read-all:disabled{color:var(--herald-muted);background:none;cursor:default}
.herald-notice{margin:0;padding:8px 14px;background:#fef3c7;color:#92400e;font-size:13px}
.herald-list{margin:0;padding:0;list-style:none}
.herald-item{display:flex;gap:8px;padding:10px 10px 10px 11px;border-left:3px solid transparent;
 border-bottom:1px solid var(--herald-border)}
.herald-item:last-child{border-bottom:0}
.herald-item[data-status=UNREAD]{border-left-color:var(--herald-accent);background:rgba(37,99,235,.05)}
.herald-item[data-status=UNREAD] .herald-content{font-weight:600}
.herald-item[data-status=READ]{color:var(--herald-muted)}
.herald-body{flex:1;min-width:0} .herald-content{overflow-wrap:anywhere}
.herald-content p,.herald-content ul,.herald-content ol{margin:0 0 4px}
.herald-content>:last-child{margin-bottom:0}
.herald-content ul,.herald-content ol{padding-left:18px} .herald-content a{color:var(--herald-accent)}
.herald-content code{padding:0 3px;border-radius:3px;background:var(--herald-hover);font-size:.9em}
.herald-meta{display:flex;align-items:center;gap:6px;margin-top:3px;font-size:12px;font-weight:400;color:var(--herald-muted)}
.herald-priority{padding:0 6px;border-radius:4px;font-size:11px;font-weight:700;letter-spacing:.03em;text-transform:uppercase}
.herald-priority-URGENT{background:#dc2626;color:#fff} .herald-priority-HIGH{background:#fef3c7;color:#92400e}
.herald-actions{display:flex;gap:2px;align-items:flex-start}
.herald-actions button{display:inline-flex;align-items:center;justify-content:center;
 width:28px;height:28px;padding:0;border:0;border-radius:6px;background:none;color:var(--herald-muted)}
.herald-actions button:hover{background:var(--herald-hover);color:var(--herald-fg)}
.herald-empty{margin:0;padding:24px 14px;text-align:center;color:var(--herald-muted)}
.herald-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

  function injectStyle() {
    if (document.getElementById('herald-style')) return;
    const style = document.createElement('style');
    style.id = 'herald-style';
    style.textContent = CSS;
    (document.head || document.documentElement).append(style);
  }

  // Builds an element; `text` sets textContent, true/false toggle attributes.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === 'text') node.textContent = value;
      else if (value === true) node.setAttribute(name, '');
      else if (value !== false && value != null) node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  function iconButton(action, title) {
    const button = el('button', { type: 'button', 'data-herald-action': action, title, 'aria-label': title });
    button.innerHTML = ICONS[action]; // a constant of this file, never data
    return button;
  }

  // `#token=…` of the page URL. Split by hand: URLSearchParams would turn a
  // `+` of the token into a space.
  function tokenFromHash() {
    for (const part of location.hash.replace(/^#/, '').split('&')) {
      const at = part.indexOf('=');
      if (at > 0 && part.slice(0, at) === 'token') {
        try { return decodeURIComponent(part.slice(at + 1)); } catch { return ''; }
      }
    }
    return '';
  }

  // Content keys are Connect locale codes (de_DE), the browser's are BCP 47
  // (de-DE). For each preferred language in turn: the exact locale, else the
  // first of the same language; then en_US; then whatever there is.
  function pickLocale(content) {
    const keys = Object.keys(content || {});
    for (const tag of LANGS) {
      const want = tag.replace(/-/g, '_').toLowerCase();
      const lang = want.split('_')[0];
      const found = keys.find((k) => k.toLowerCase() === want)
        || keys.find((k) => k.toLowerCase().split('_')[0] === lang);
      if (found) return found;
    }
    return keys.includes('en_US') ? 'en_US' : keys[0];
  }

  // Under a minute is "now"; a server clock ahead of ours never shows "in 3 s".
  function relativeTime(ms) {
    const ago = Math.max(0, Math.round((Date.now() - ms) / 1000));
    for (const [unit, size] of TIME_UNITS) {
      if (ago >= size) return RTF.format(-Math.floor(ago / size), unit);
    }
    return RTF.format(0, 'second');
  }

  // ListUserNotifications' order: Order = [urgency, createdMs, seq], descending.
  function byOrder(a, b) {
    const x = a.Order || [], y = b.Order || [];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] === y[i]) continue;
      if (x[i] === undefined) return 1;
      if (y[i] === undefined) return -1;
      return x[i] < y[i] ? 1 : -1;
    }
    return a.NotificationId < b.NotificationId ? -1 : 1;
  }

  // What each server-sent event does to the state (`this` is the element).
  const EVENTS = {
    snapshot(data) {
      this.items.clear();
      for (const item of data.Items || []) this.upsert(item);
      this.setUnread(data.Unread);
    },
    notification(data) {
      const item = data.Item;
      if (!item || !item.NotificationId) return;
      const shown = this.items.get(item.NotificationId);
      // An edit carries no Status: the one shown stays. An edit of an item
      // not shown is not ours to show (hidden, or never sent).
      if (data.Created) this.upsert(item);
      else if (shown) this.upsert({ ...item, Status: shown.Status });
    },
    status(data) {
      const item = this.items.get(data.NotificationId);
      if (data.Status === 'HIDDEN') this.items.delete(data.NotificationId);
      else if (item && data.Status) item.Status = data.Status;
      // Not shown (it was hidden): the event carries it, to show again.
      else if (data.Item && data.Item.NotificationId === data.NotificationId) this.upsert(data.Item);
    },
    removed(data) { this.items.delete(data.NotificationId); },
    unread(data) { this.setUnread(data); },
  };

  let panels = 0;

  class HeraldNotifications extends HTMLElement {
    static get observedAttributes() { return ['open', 'token', 'server']; }

    constructor() {
      super();
      this.items = new Map(); // NotificationId → Item shown (never HIDDEN)
      this.rows = new Map(); // NotificationId → its <li> and parts
      this.unread = { Count: 0, Capped: false };
      this.unreadAt = 0; // Date.now() when that count arrived
      this.es = null;
      this.backoff = 1000;
      this.onDocumentClick = (e) => {
        // composedPath, not contains(): the clicked button may be gone by now.
        if (this.hasAttribute('open') && !this.hasAttribute('inline')
          && !e.composedPath().includes(this)) this.removeAttribute('open');
      };
      this.onHashChange = () => { if (!this.hasAttribute('token')) this.connect(); };
    }

    connectedCallback() {
      injectStyle();
      if (!this.ui) this.build();
      this.showOpen();
      this.connect();
      // Relative times age, and a throttled background tab may miss timers.
      this.ticker = setInterval(() => this.update(), 30000);
      document.addEventListener('click', this.onDocumentClick);
      window.addEventListener('hashchange', this.onHashChange);
    }

    disconnectedCallback() {
      this.disconnect();
      clearInterval(this.ticker);
      clearTimeout(this.expiryTimer);
      document.removeEventListener('click', this.onDocumentClick);
      window.removeEventListener('hashchange', this.onHashChange);
    }

    attributeChangedCallback(name, old, value) {
      if (!this.ui || old === value) return;
      if (name === 'open') this.showOpen();
      else if (this.isConnected) this.connect();
    }

    build() {
      const id = `herald-panel-${++panels}`;
      this.badge = el('span', { class: 'herald-badge', 'data-herald-badge': true, hidden: true, 'aria-hidden': 'true' });
      this.bell = el('button', {
        type: 'button', class: 'herald-bell', title: T.title, 'aria-label': T.title,
        'aria-controls': id, 'aria-expanded': 'false',
      });
      this.bell.innerHTML = ICONS.bell;
      this.bell.append(this.badge);
      this.readAll = el('button', { type: 'button', class: 'herald-read-all', 'data-herald-action': 'read-all', title: T.readAll, text: T.readAll });
      this.notice = el('p', { class: 'herald-notice', role: 'status', 'data-herald-notice': '', hidden: true });
      this.list = el('ul', { class: 'herald-list' });
      this.empty = el('p', { class: 'herald-empty', 'data-herald-empty': true, text: T.empty });
      this.panel = el('section', { id, class: 'herald-panel', 'aria-label': T.title, hidden: true },
        el('div', { class: 'herald-header' }, el('span', { class: 'herald-title', text: T.title }), this.readAll),
        this.notice, this.list, this.empty);
      this.ui = el('div', { class: 'herald-root' }, this.bell, this.panel);
      this.ui.addEventListener('click', (e) => this.onClick(e));
      this.ui.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && this.hasAttribute('open') && !this.hasAttribute('inline')) {
          this.removeAttribute('open');
          this.bell.focus();
        }
      });
      this.append(this.ui);
      this.render();
    }

    showOpen() {
      const open = this.hasAttribute('open');
      this.panel.hidden = !open;
      this.bell.setAttribute('aria-expanded', String(open));
    }

    onClick(e) {
      if (e.target.closest('.herald-bell')) return void this.toggleAttribute('open');
      const button = e.target.closest('[data-herald-action]');
      if (!button || button.disabled) return;
      const action = button.getAttribute('data-herald-action');
      if (action === 'read-all') return void this.markAllRead();
      const row = button.closest('[data-herald-item]');
      const status = { read: 'READ', unread: 'UNREAD', hide: 'HIDDEN' }[action];
      if (row && status) this.setStatus(row.getAttribute('data-notification-id'), status);
    }

    // --- the stream -------------------------------------------------------

    connect() {
      this.disconnect();
      this.token = this.getAttribute('token') || tokenFromHash();
      this.server = (this.getAttribute('server') || location.origin).replace(/\/+$/, '');
      if (!this.token) return void this.setState('expired', T.noToken);
      const url = `${this.server}/_herald/events?token=${encodeURIComponent(this.token)}`;
      const es = new EventSource(url);
      this.es = es;
      this.setState('connecting');
      es.onopen = () => { this.backoff = 1000; this.setState('open'); };
      es.onerror = () => this.onStreamError(es, url);
      for (const [name, apply] of Object.entries(EVENTS)) {
        es.addEventListener(name, (ev) => {
          let data;
          try { data = JSON.parse(ev.data); } catch { return; } // one bad event must not stop the widget
          if (data && typeof data === 'object') apply.call(this, data);
          this.update();
        });
      }
    }

    disconnect() {
      if (this.es) this.es.close();
      this.es = null;
      clearTimeout(this.retryTimer);
    }

    async onStreamError(es, url) {
      if (es !== this.es) return;
      this.setState('reconnecting', T.reconnecting);
      // CONNECTING: a network error, and the browser retries by itself.
      if (es.readyState !== EventSource.CLOSED) return;
      // CLOSED: the server answered, but not with a stream. EventSource does
      // not say why, so ask once to tell an expired token from an outage.
      this.es = null;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), 10000);
      let status = 0;
      try {
        status = (await fetch(url, { signal: abort.signal, cache: 'no-store', credentials: 'omit' })).status;
      } catch { /* unreachable: retry below */ }
      clearTimeout(timer);
      abort.abort(); // a 200 would be a live stream; the status was all we wanted
      if (this.es || !this.isConnected || this.state === 'expired') return;
      // 401: the token expired; 404: its user or instance was deleted.
      if (status === 401 || status === 404) return void this.expire();
      this.retryTimer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 30000);
    }

    expire() {
      this.disconnect();
      this.setState('expired', T.expired);
    }

    setState(state, message) {
      this.state = state;
      this.setAttribute('data-herald-connection', state);
      this.classList.toggle('herald-expired', state === 'expired');
      if (message) this.showNotice(message, state);
      // A failed write's notice outlives the reconnect that follows it.
      else if (this.noticeKind !== 'failed') this.showNotice('', '');
    }

    showNotice(text, kind) {
      clearTimeout(this.noticeTimer);
      this.noticeKind = text ? kind : '';
      this.notice.textContent = text;
      this.notice.setAttribute('data-herald-notice', this.noticeKind);
      this.notice.hidden = !text;
    }

    // --- writes -----------------------------------------------------------

    async post(path, body) {
      const res = await fetch(this.server + path, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
      const data = await res.json().catch(() => ({}));
      if (res.status === 401) {
        this.expire();
        throw Object.assign(new Error('session expired'), { expired: true });
      }
      if (!res.ok) throw new Error(data.Message || `HTTP ${res.status}`);
      return data;
    }

    // The badge moves at once; the server's `status` and `unread` events
    // then confirm it.
    async setStatus(id, status) {
      const item = this.items.get(id);
      if (!item) return;
      if (!this.unread.Capped && (item.Status === 'UNREAD') !== (status === 'UNREAD')) {
        this.unread.Count = Math.max(0, this.unread.Count + (status === 'UNREAD' ? 1 : -1));
      }
      if (status === 'HIDDEN') this.items.delete(id);
      else item.Status = status;
      this.update();
      await this.post('/_herald/widget/status', { NotificationId: id, Status: status })
        .catch((err) => this.writeFailed(err));
    }

    async markAllRead() {
      for (const item of this.items.values()) if (item.Status === 'UNREAD') item.Status = 'READ';
      this.unread = { Count: 0, Capped: false };
      this.update();
      try {
        // The server marks a bounded batch per call and says where to go on.
        let next = null;
        for (let i = 0; i < 1000; i++) {
          next = (await this.post('/_herald/widget/read-all', next ? { NextToken: next } : {})).NextToken;
          if (!next) break;
        }
      } catch (err) {
        this.writeFailed(err);
      }
    }

    // The optimistic change was wrong: a fresh stream starts with a snapshot,
    // which puts back what the server really has.
    writeFailed(err) {
      if (err.expired || this.state === 'expired') return;
      this.connect();
      this.showNotice(`${T.failed} ${err.message || ''}`.trim(), 'failed');
      this.noticeTimer = setTimeout(() => this.showNotice('', ''), 6000);
    }

    // --- state ------------------------------------------------------------

    upsert(item) {
      const status = item.Status || 'UNREAD';
      if (status === 'HIDDEN' || item.ExpiresAt <= Date.now()) this.items.delete(item.NotificationId);
      else this.items.set(item.NotificationId, { ...item, Status: status });
    }

    setUnread(unread) {
      if (!unread) return;
      this.unread = { Count: Math.max(0, Number(unread.Count) || 0), Capped: Boolean(unread.Capped) };
      this.unreadAt = Date.now();
    }

    // Drops what has expired, arms a timer for the next expiry, renders.
    update() {
      const now = Date.now();
      let next = Infinity;
      for (const [id, item] of this.items) {
        if (item.ExpiresAt <= now) {
          // The server counts UNREAD and unexpired: a count it sent before
          // this expiry still includes the item.
          if (item.Status === 'UNREAD' && this.unreadAt < item.ExpiresAt && !this.unread.Capped) {
            this.unread.Count = Math.max(0, this.unread.Count - 1);
          }
          this.items.delete(id);
        } else next = Math.min(next, item.ExpiresAt);
      }
      clearTimeout(this.expiryTimer);
      if (next < Infinity) this.expiryTimer = setTimeout(() => this.update(), Math.min(next - now + 50, MAX_DELAY));
      this.render();
    }

    render() {
      const { Count, Capped } = this.unread;
      const count = Capped ? `${Count}+` : String(Count);
      this.badge.textContent = count;
      this.badge.hidden = Count <= 0;
      this.bell.setAttribute('aria-label', Count > 0 ? T.unreadCount(count) : T.title);
      const shown = [...this.items.values()].sort(byOrder);
      const keep = new Set(shown.map((item) => item.NotificationId));
      for (const [id, row] of this.rows) if (!keep.has(id)) { row.li.remove(); this.rows.delete(id); }
      // Move only what is out of place, so focus stays on a button clicked.
      shown.forEach((item, i) => {
        const li = this.renderRow(item);
        if (this.list.children[i] !== li) this.list.insertBefore(li, this.list.children[i] || null);
      });
      this.empty.hidden = shown.length > 0;
      this.readAll.disabled = Count <= 0 && !shown.some((item) => item.Status === 'UNREAD');
    }

    renderRow(item) {
      let row = this.rows.get(item.NotificationId);
      if (!row) {
        row = {
          content: el('div', { class: 'herald-content' }),
          priority: el('span', { class: 'herald-priority' }),
          sr: el('span', { class: 'herald-sr', text: T.unreadItem }),
          time: el('time', { class: 'herald-time' }),
          toggle: iconButton('read', T.read),
          html: null,
        };
        row.li = el('li', { class: 'herald-item', 'data-herald-item': true, 'data-notification-id': item.NotificationId },
          el('div', { class: 'herald-body' },
            row.content,
            el('div', { class: 'herald-meta' }, row.priority, row.sr, row.time)),
          el('div', { class: 'herald-actions' }, row.toggle, iconButton('hide', T.hide)));
        this.rows.set(item.NotificationId, row);
      }
      const locale = pickLocale(item.Content);
      const html = locale ? String(item.Content[locale]) : '';
      if (row.html !== html) {
        row.content.innerHTML = html; // rendered from Markdown and sanitised by the server
        row.content.lang = locale ? locale.replace(/_/g, '-') : '';
        row.html = html;
      }
      const unread = item.Status === 'UNREAD';
      row.li.setAttribute('data-status', item.Status);
      row.li.setAttribute('data-priority', item.Priority || 'LOW');
      row.sr.hidden = !unread;
      const urgent = item.Priority === 'HIGH' || item.Priority === 'URGENT';
      row.priority.hidden = !urgent;
      row.priority.className = `herald-priority herald-priority-${urgent ? item.Priority : 'LOW'}`;
      row.priority.textContent = urgent ? T[item.Priority] : '';
      const action = unread ? 'read' : 'unread';
      if (row.toggle.getAttribute('data-herald-action') !== action) {
        row.toggle.setAttribute('data-herald-action', action);
        row.toggle.title = T[action];
        row.toggle.setAttribute('aria-label', T[action]);
        row.toggle.innerHTML = ICONS[action];
      }
      const created = new Date(item.CreatedAt);
      if (!Number.isNaN(created.getTime())) {
        row.time.dateTime = created.toISOString();
        row.time.title = created.toLocaleString(LANGS);
        row.time.textContent = relativeTime(item.CreatedAt);
      }
      return row.li;
    }
  }

  if (!customElements.get(TAG)) customElements.define(TAG, HeraldNotifications);

  // <script src=".../_herald/widget.js" data-token="…">: the widget goes right
  // after the tag, talking to the server the script came from (a path prefix
  // before /_herald/ included, for a Herald behind a proxy).
  if (script && script.dataset.token) {
    const widget = document.createElement(TAG);
    widget.setAttribute('token', script.dataset.token);
    const base = script.src.match(/^(.*)\/_herald\/widget\.js(?:[?#].*)?$/);
    widget.setAttribute('server', base ? base[1] : new URL(script.src, location.href).origin);
    for (const name of ['open', 'inline']) if (name in script.dataset) widget.setAttribute(name, '');
    // <head> is never rendered: a widget asked for there goes to the body.
    if (!script.closest('head')) script.after(widget);
    else if (document.body) document.body.prepend(widget);
    else document.addEventListener('DOMContentLoaded', () => document.body.prepend(widget), { once: true });
  }
})();

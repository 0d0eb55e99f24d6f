/* distillguard case view.
 *
 * A static page: everything it shows comes from the authenticated JSON API (contract section 4)
 * with the analyst's key, which is kept in sessionStorage (gone when the tab closes) and sent as
 * "Authorization: Bearer". Data from the traffic (account ids, indicator values, excerpts) is
 * untrusted: it is only ever inserted as text (textContent / createTextNode / setAttribute on
 * safe attributes), never parsed as HTML. The server's Content-Security-Policy forbids inline
 * script as a second line of defence.
 */
"use strict";

const KEY_SLOT = "distillguard.apiKey";
const SVG_NS = "http://www.w3.org/2000/svg";
const DECISION_COLOURS = { block: "#c0362c", throttle: "#d9730d", review: "#b58a00", allow: "#2e7d4f" };
const LINK_COLOURS = {
  payment: "#7b3fb5", network: "#2f5bd3", client: "#0f8b8d", template: "#d9730d", email: "#b58a00",
  signup: "#c0362c", sync: "#5d6b82", twin: "#2e7d4f",
};
const MAX_GRAPH_ACCOUNTS = 80;

/* ---------- DOM helpers: text only ---------- */

const SAFE_ATTRS = /^(class|id|href|title|type|value|placeholder|name|for|role|colspan|aria-[a-z]+|data-[a-z-]+|autocomplete|disabled|rows|spellcheck)$/;

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "onclick") { el.addEventListener("click", value); continue; }
    if (name === "onsubmit") { el.addEventListener("submit", value); continue; }
    if (!SAFE_ATTRS.test(name) && el.namespaceURI !== SVG_NS) throw new Error("attribute not allowed: " + name);
    if (name === "href" && !String(value).startsWith("#")) throw new Error("only in-page links");
    el.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name.startsWith("on")) throw new Error("no event attributes in SVG");
    if (value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function svgTitle(text) { return svg("title", {}, text); }

function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

function fmtInt(n) { return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"); }
function fmtScore(x) { return x === null || x === undefined ? "–" : Number(x).toFixed(2); }
function fmtPct(x) { return (100 * Number(x || 0)).toFixed(x >= 0.1 ? 0 : 1) + "%"; }
function fmtTime(s) {
  if (!s) return "–";
  const d = new Date(s);
  return isNaN(d) ? String(s) : d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}
function fmtDay(s) { return s ? String(s).slice(0, 10) : "–"; }

function badge(kind, value) {
  const v = String(value || "–");
  return h("span", { class: `badge ${kind}-${v.replace(/[^a-z]/g, "")}` }, v);
}

function bar(fraction, colour) {
  const fill = h("i");
  fill.style.width = Math.max(0, Math.min(1, Number(fraction) || 0)) * 100 + "%";
  if (colour) fill.style.background = colour;
  return h("div", { class: "bar" }, fill);
}

function toast(message, isError) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.className = isError ? "err" : "";
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
}

/* ---------- API ---------- */

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function apiKey() { return sessionStorage.getItem(KEY_SLOT); }

async function api(method, path, body) {
  const headers = { Authorization: "Bearer " + apiKey(), Accept: "application/json" };
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let doc = null;
  try { doc = await res.json(); } catch (_) { doc = null; }
  if (!res.ok) {
    let detail = doc && doc.detail;
    if (typeof detail !== "string") detail = res.statusText || "request failed";
    throw new ApiError(res.status, `${detail} (HTTP ${res.status})`);
  }
  return doc;
}

function seg(s) { return encodeURIComponent(String(s)); }

/* ---------- campaign document helpers (campaigns.json v2, tolerant of v1) ---------- */

function indicatorsOf(c) {
  const raw = c.indicators;
  if (Array.isArray(raw)) return raw;
  const out = [];
  if (raw && typeof raw === "object") {
    for (const [kind, values] of Object.entries(raw)) {
      for (const v of values || []) {
        out.push({ kind, value: v.value, accounts_in_campaign: v.accounts, accounts_in_log: null,
          blockable: null, exchanges: v.exchanges });
      }
    }
  }
  return out;
}

function evidenceText(ev) { return ev.text || ev.description || ev.signal || ""; }

function linkKind(signal) {
  const s = String(signal || "");
  return s.startsWith("linkage.") ? s.slice("linkage.".length) : null;
}

function topCapabilities(c, n) {
  return Object.entries(c.capabilities || {}).sort((a, b) => b[1] - a[1]).slice(0, n);
}

/* ---------- login ---------- */

function renderLogin(message) {
  renderNav(false);
  const input = h("input", { type: "password", id: "api-key", name: "api-key", autocomplete: "off",
    placeholder: "analyst or admin key", spellcheck: "false" });
  const err = h("p", { class: "error", role: "alert" }, message || "");
  const form = h("form", { class: "card login", onsubmit: async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_SLOT, key);
    try {
      await api("GET", "/v1/campaigns");
      input.value = "";
      if (!location.hash || location.hash === "#/login") location.hash = "#/";
      route();
    } catch (ex) {
      sessionStorage.removeItem(KEY_SLOT);
      err.textContent = ex.status === 403 ? "This key may not use the case view (it needs the analyst or admin role)."
        : ex.status === 401 ? "Unknown key." : String(ex.message);
    }
  } },
  h("h2", {}, "Sign in"),
  h("p", { class: "muted small" }, "Paste an API key with the analyst (or admin) role. It stays in this tab only."),
  h("label", { for: "api-key" }, "API key"), input,
  h("button", { class: "primary", type: "submit", id: "login" }, "Sign in"), err);
  clear(document.getElementById("main")).appendChild(form);
  input.focus();
}

function logout() {
  sessionStorage.removeItem(KEY_SLOT);
  location.hash = "#/";
  renderLogin("Signed out.");
}

function renderNav(signedIn) {
  const nav = clear(document.getElementById("nav"));
  if (!signedIn) return;
  append(nav, [h("a", { href: "#/" , style: null }, "Campaigns"),
    h("button", { type: "button", id: "logout", onclick: logout }, "Sign out")]);
  nav.firstChild.style.color = "#fff";
}

/* ---------- campaign list ---------- */

async function renderList() {
  const main = clear(document.getElementById("main"));
  main.appendChild(h("p", { class: "muted" }, "Loading campaigns…"));
  const [list, review] = await Promise.all([api("GET", "/v1/campaigns"), api("GET", "/v1/review").catch(() => null)]);
  const campaigns = list.campaigns || [];
  const run = list.last_run;
  clear(main);

  const runInfo = run
    ? `Last detection ${run.run_id || ""}: ${fmtInt(run.exchanges)} exchanges, ${fmtInt(run.accounts)} accounts, window ${fmtDay(run.window && run.window.from)} → ${fmtDay(run.window && run.window.to)}`
    : "No detection has run since the service started.";
  const detectBtn = h("button", { type: "button", id: "run-detect", class: "primary", onclick: async () => {
    detectBtn.disabled = true; detectBtn.textContent = "Detecting…";
    try {
      const s = await api("POST", "/v1/detect");
      toast(`Detection ${s.run_id}: ${fmtInt(s.campaigns)} campaigns, ${fmtInt(s.flagged_accounts)} flagged accounts`);
      renderList();
    } catch (ex) { toast(ex.message, true); detectBtn.disabled = false; detectBtn.textContent = "Run detection now"; }
  } }, "Run detection now");
  main.appendChild(h("div", { class: "toolbar" },
    h("div", {}, h("h1", {}, "Campaigns"), h("div", { class: "muted small" }, runInfo)), detectBtn));

  const table = h("table", { id: "campaigns" },
    h("thead", {}, h("tr", {}, ["Campaign", "Status", "Decision", "Recommended", "Score", "Accounts",
      "Exchanges", "Window", "Capabilities", "Assignee"].map((t, i) => h("th", { class: i >= 4 && i <= 6 ? "num" : null }, t)))));
  const body = h("tbody");
  for (const c of campaigns) {
    const caps = topCapabilities(c, 3).map(([k, v]) => `${k} ${fmtPct(v)}`).join(", ");
    const tr = h("tr", { class: "clickable", "data-campaign": c.campaign_id },
      h("td", {}, h("a", { href: "#/campaign/" + seg(c.campaign_id), class: "mono" }, c.campaign_id),
        c.in_latest_run === false ? h("div", { class: "muted small" }, "not in the latest run") : null),
      h("td", {}, badge("s", c.status)),
      h("td", {}, badge("d", c.decision)),
      h("td", {}, c.recommended_action ? badge("d", c.recommended_action) : "–"),
      h("td", { class: "num" }, fmtScore(c.score)),
      h("td", { class: "num" }, fmtInt(c.account_count ?? (c.accounts || []).length)),
      h("td", { class: "num" }, fmtInt(c.exchanges)),
      h("td", { class: "small" }, `${fmtTime(c.first_seen)} → ${fmtTime(c.last_seen)}`),
      h("td", { class: "small" }, caps || "–"),
      h("td", { class: "small wrap" }, c.assignee || "–"));
    tr.addEventListener("click", (e) => { if (e.target.tagName !== "A") location.hash = "#/campaign/" + seg(c.campaign_id); });
    body.appendChild(tr);
  }
  table.appendChild(body);
  main.appendChild(h("div", { class: "card", style: null }, campaigns.length ? table
    : h("p", { class: "empty" }, "No campaigns yet. Ingest traffic and run detection.")));

  if (review && Array.isArray(review.review)) {
    main.appendChild(h("div", { class: "card" , id: "review-all"}, h("h2", {}, `Review queue (${review.review.length})`),
      reviewTable(review.review, true)));
    main.lastChild.style.marginTop = "1rem";
  }
}

function reviewTable(items, withCampaign) {
  if (!items.length) return h("p", { class: "empty" }, "Nothing waiting for review.");
  const showCampaign = withCampaign && items.some((r) => r.campaign_id);
  const kinds = {};
  for (const r of items) kinds[r.kind || "other"] = (kinds[r.kind || "other"] || 0) + 1;
  const summary = Object.entries(kinds).map(([k, n]) => `${fmtInt(n)} ${k.replace("_", " ")}`).join(" · ");
  const rows = items.map((r) => h("tr", {},
    h("td", {}, (r.kind || "–").replace("_", " ")),
    showCampaign ? h("td", {}, r.campaign_id ? h("a", { href: "#/campaign/" + seg(r.campaign_id), class: "mono" }, r.campaign_id) : "–") : null,
    h("td", { class: "num" }, fmtScore(r.score)),
    h("td", { class: "num" }, fmtInt(r.account_count || (r.accounts || []).length)),
    h("td", { class: "num" }, r.exchanges === undefined ? "–" : fmtInt(r.exchanges)),
    h("td", { class: "mono small wrap" }, (r.accounts || []).slice(0, 6).join(", "),
      (r.accounts || []).length > 6 ? " …" : ""),
    h("td", { class: "small" }, h("ul", { class: "reason-list" }, (r.reasons || []).map((x) => h("li", {}, x))))));
  return h("div", {}, h("p", { class: "muted small" }, summary), h("div", { class: "scroll review-scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "Kind"), showCampaign ? h("th", {}, "Near campaign") : null,
      h("th", { class: "num" }, "Score"), h("th", { class: "num" }, "Accounts"), h("th", { class: "num" }, "Exchanges"),
      h("th", {}, "Account ids"), h("th", {}, "Why"))),
    h("tbody", {}, rows))));
}

/* Review items that concern a campaign: named for it, or sharing accounts with it. */
function reviewFor(c, review) {
  if (!review) return null;
  const mine = new Set(c.accounts || []);
  return (review.review || []).filter((r) => r.campaign_id === c.campaign_id || (r.accounts || []).some((a) => mine.has(a)));
}

/* ---------- campaign page ---------- */

async function renderCampaign(id) {
  const main = clear(document.getElementById("main"));
  main.appendChild(h("p", { class: "muted" }, "Loading campaign…"));
  const [c, review] = await Promise.all([api("GET", "/v1/campaigns/" + seg(id)), api("GET", "/v1/review").catch(() => null)]);
  drawCampaign(c, reviewFor(c, review));
}

async function act(c, body, what) {
  try {
    const res = await api("POST", "/v1/campaigns/" + seg(c.campaign_id) + "/actions", body);
    toast(`${what}: recorded as #${res.audit.seq} by ${res.audit.actor}`);
    const review = await api("GET", "/v1/review").catch(() => null);
    drawCampaign(res.campaign, reviewFor(res.campaign, review));
  } catch (ex) { toast(ex.message, true); }
}

function drawCampaign(c, reviewItems) {
  const main = clear(document.getElementById("main"));
  const accounts = c.accounts || [];
  const dismissedAccounts = new Set(c.dismissed_accounts || []);
  const dismissedInd = new Set((c.dismissed_indicators || []).map((d) => d.kind + "\u0000" + d.value));

  // Header and key figures.
  main.appendChild(h("div", { class: "card", id: "campaign-head" },
    h("div", { class: "small" }, h("a", { href: "#/" }, "← all campaigns")),
    h("h1", {}, h("span", { class: "mono", id: "campaign-id" }, c.campaign_id),
      h("span", { id: "campaign-status" }, badge("s", c.status)),
      h("span", { class: "small muted" }, "decision"), h("span", { id: "campaign-decision" }, badge("d", c.decision))),
    h("div", { class: "stats" },
      stat(fmtScore(c.score), `score (threshold ${fmtScore(c.threshold)})`),
      stat(fmtInt(c.account_count ?? accounts.length), "accounts"),
      stat(fmtInt(c.exchanges), "exchanges"),
      stat(c.recommended_action || "–", "recommended action"),
      stat(`${fmtTime(c.first_seen)} → ${fmtTime(c.last_seen)}`, "activity window"),
      stat(c.assignee || "unassigned", "assignee")),
    (c.action_reasons || []).length ? h("ul", { class: "reason-list small muted" }, c.action_reasons.map((r) => h("li", {}, r))) : null));

  const grid = h("div", { class: "grid" });
  main.appendChild(grid);

  grid.appendChild(h("section", { class: "card span-12", id: "actions" }, h("h2", {}, "Actions"), actionsPanel(c)));
  grid.appendChild(h("section", { class: "card span-7", id: "timeline" }, h("h2", {}, "Timeline"), timelineSvg(c)));
  grid.appendChild(h("section", { class: "card span-5", id: "capabilities" }, h("h2", {}, "Capability mix"), capabilityTable(c),
    scoreParts(c)));
  grid.appendChild(h("section", { class: "card span-7", id: "graph" }, h("h2", {}, "Evidence graph"),
    h("p", { class: "muted small" }, "Accounts (dots) joined to the shared infrastructure, payment, client, template or behaviour links that tie them together."),
    evidenceGraph(c, dismissedAccounts)));
  grid.appendChild(h("section", { class: "card span-5", id: "evidence" }, h("h2", {}, "Evidence"), evidenceList(c)));
  grid.appendChild(h("section", { class: "card span-6", id: "indicators" }, h("h2", {}, "Indicators"),
    indicatorTables(c, dismissedInd)));
  grid.appendChild(h("section", { class: "card span-6", id: "examples" }, h("h2", {}, "Example requests"), examples(c)));
  grid.appendChild(h("section", { class: "card span-6", id: "accounts" }, h("h2", {}, `Accounts (${fmtInt(accounts.length)})`),
    accountTable(c, dismissedAccounts)));
  grid.appendChild(h("section", { class: "card span-6", id: "review" }, h("h2", {}, "Review queue"),
    h("p", { class: "muted small" }, "Near misses, lookalikes and accounts the detector wants a person to look at, for this campaign or sharing its accounts."),
    reviewItems === null ? h("p", { class: "empty" }, "The review queue is not available.") : reviewTable(reviewItems, false)));
  grid.appendChild(h("section", { class: "card span-12", id: "audit" }, h("h2", {}, "Audit trail"), auditTable(c.audit || [])));
}

function stat(value, label) { return h("div", { class: "stat" }, h("b", {}, value), h("span", {}, label)); }

function actionsPanel(c) {
  const note = h("textarea", { id: "action-note", placeholder: "Note for the audit trail (why)", rows: 2 });
  const assignee = h("input", { id: "assignee", placeholder: "assignee", type: "text" });
  const noteOf = () => note.value.trim() || null;
  const current = (status) => c.status === status;
  return h("div", { class: "actions" }, note,
    h("button", { type: "button", id: "act-confirm", class: "warn", disabled: current("confirmed"), onclick: () => act(c, { action: "confirm", note: noteOf() }, "Confirmed") }, "Confirm campaign"),
    h("button", { type: "button", id: "act-block", class: "danger", disabled: current("blocked"), onclick: () => act(c, { action: "block", note: noteOf() }, "Blocked") }, "Block campaign"),
    h("button", { type: "button", id: "act-dismiss", disabled: current("dismissed"), onclick: () => act(c, { action: "dismiss", note: noteOf() }, "Dismissed as a false positive") }, "Dismiss campaign (false positive)"),
    h("button", { type: "button", id: "act-comment", onclick: () => {
      if (!noteOf()) { toast("Write the comment in the note field first.", true); return; }
      act(c, { action: "comment", note: noteOf() }, "Commented");
    } }, "Comment"),
    h("span", { class: "muted small" }, "·"), assignee,
    h("button", { type: "button", id: "act-assign", onclick: () => {
      const who = assignee.value.trim();
      if (!who) { toast("Name the assignee first.", true); return; }
      act(c, { action: "assign", assignee: who, note: noteOf() }, "Assigned");
    } }, "Assign"));
}

/* Timeline: exchanges per day, stacked by model when the document has it. */
function timelineSvg(c) {
  const W = 640, H = 190, L = 44, R = 10, T = 10, B = 34;
  const byModel = c.timeline_by_model && typeof c.timeline_by_model === "object" ? c.timeline_by_model : null;
  let days = [];
  const series = {};
  if (byModel && Object.keys(byModel).length) {
    for (const [model, points] of Object.entries(byModel)) {
      series[model] = {};
      for (const [d, n] of points || []) { series[model][d] = n; if (!days.includes(d)) days.push(d); }
    }
  } else if (Array.isArray(c.timeline) && c.timeline.length) {
    series.exchanges = {};
    for (const [d, n] of c.timeline) { series.exchanges[d] = n; days.push(d); }
  }
  if (!days.length) {
    return h("p", { class: "muted" }, `Active ${fmtTime(c.first_seen)} → ${fmtTime(c.last_seen)}; this detection run gave no per-day counts.`);
  }
  days.sort();
  const totals = days.map((d) => Object.values(series).reduce((s, m) => s + (m[d] || 0), 0));
  const max = Math.max(1, ...totals);
  const bw = (W - L - R) / days.length;
  const palette = ["#2f5bd3", "#d9730d", "#7b3fb5", "#0f8b8d", "#b58a00", "#c0362c", "#5d6b82"];
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": "exchanges per day" });
  root.appendChild(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }));
  for (const frac of [0.5, 1]) {
    const y = H - B - frac * (H - T - B);
    root.appendChild(svg("line", { x1: L, y1: y, x2: W - R, y2: y, class: "axis", "stroke-dasharray": "3 3" }));
    root.appendChild(svg("text", { x: L - 6, y: y + 4, "text-anchor": "end", class: "lbl" }, fmtInt(Math.round(max * frac))));
  }
  const models = Object.keys(series);
  days.forEach((d, i) => {
    let y = H - B;
    models.forEach((m, k) => {
      const n = series[m][d] || 0;
      if (!n) return;
      const hgt = (n / max) * (H - T - B);
      y -= hgt;
      root.appendChild(svg("rect", { x: L + i * bw + 1, y, width: Math.max(1, bw - 2), height: hgt, fill: palette[k % palette.length] },
        svgTitle(`${d} · ${m}: ${fmtInt(n)} exchanges`)));
    });
    const every = Math.ceil(days.length / 8);
    if (i % every === 0) root.appendChild(svg("text", { x: L + i * bw + bw / 2, y: H - B + 16, "text-anchor": "middle", class: "lbl" }, String(d).slice(5, 10)));
  });
  const legend = models.length > 1 ? h("div", { class: "legend" }, models.map((m, k) => {
    const dot = h("i"); dot.style.background = palette[k % palette.length];
    return h("span", {}, dot, m);
  })) : null;
  return h("div", {}, root, legend);
}

function capabilityTable(c) {
  const caps = topCapabilities(c, 12);
  if (!caps.length) return h("p", { class: "empty" }, "No capability mix (no prompt text).");
  return h("table", {}, h("tbody", {}, caps.map(([k, v]) => h("tr", {},
    h("td", {}, k), h("td", { class: "num" }, fmtPct(v)), h("td", {}, bar(v))))));
}

function scoreParts(c) {
  const parts = Object.entries(c.score_parts || {});
  if (!parts.length) return null;
  return h("div", {}, h("h3", {}, "Score parts"), h("table", {}, h("tbody", {}, parts.map(([k, v]) => h("tr", {},
    h("td", {}, k), h("td", { class: "num" }, fmtScore(v)), h("td", {}, bar(v, "#5d6b82")))))));
}

/* Evidence graph: a radial layout. Link kinds (shared payment, network, template, ...) sit on an
 * inner ring; the campaign's accounts on the outer ring; an edge joins an account to each link
 * kind whose evidence names it. */
function evidenceGraph(c, dismissedAccounts) {
  const hubs = [];
  for (const ev of c.evidence || []) {
    const kind = linkKind(ev.signal);
    if (kind && Array.isArray(ev.account_ids) && ev.account_ids.length) hubs.push({ kind, ev });
  }
  const accounts = (c.accounts || []).slice(0, MAX_GRAPH_ACCOUNTS);
  if (!accounts.length) return h("p", { class: "empty" }, "No accounts.");
  const W = 640, H = 440, cx = W / 2, cy = H / 2 + 6, rOuter = 190, rInner = 86;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": "evidence graph" });
  const pos = new Map();
  accounts.forEach((a, i) => {
    const t = (2 * Math.PI * i) / accounts.length - Math.PI / 2;
    pos.set(a, [cx + rOuter * Math.cos(t), cy + rOuter * Math.sin(t)]);
  });
  const edges = svg("g", { "stroke-opacity": 0.35 });
  const nodes = svg("g");
  root.appendChild(edges); root.appendChild(nodes);
  hubs.forEach((hub, j) => {
    const t = (2 * Math.PI * j) / Math.max(1, hubs.length) - Math.PI / 2;
    const r = hubs.length === 1 ? 0 : rInner;
    const x = cx + r * Math.cos(t), y = cy + r * Math.sin(t);
    const colour = LINK_COLOURS[hub.kind] || "#5d6b82";
    const members = hub.ev.account_ids;
    for (const a of members) {
      const p = pos.get(a);
      if (p) edges.appendChild(svg("line", { x1: x, y1: y, x2: p[0], y2: p[1], stroke: colour, "stroke-width": 1.2 }));
    }
    const label = hub.kind;
    const tip = `${evidenceText(hub.ev)} (strength ${fmtScore(hub.ev.strength)})`;
    nodes.appendChild(svg("g", { class: "hub" },
      svg("rect", { x: x - 34, y: y - 10, width: 68, height: 20, rx: 10, fill: colour }, svgTitle(tip)),
      svg("text", { x, y: y + 4, "text-anchor": "middle", fill: "#fff", "font-size": 11 }, label.slice(0, 11), svgTitle(tip))));
  });
  for (const a of accounts) {
    const [x, y] = pos.get(a);
    const dismissed = dismissedAccounts.has(a);
    nodes.appendChild(svg("circle", { cx: x, cy: y, r: 5, fill: dismissed ? "#c5cad3" : "#1d2330", class: "acct" },
      svgTitle(a + (dismissed ? " (dismissed)" : ""))));
  }
  const legend = h("div", { class: "legend" }, hubs.length ? [...new Set(hubs.map((x) => x.kind))].map((k) => {
    const dot = h("i"); dot.style.background = LINK_COLOURS[k] || "#5d6b82";
    return h("span", {}, dot, k);
  }) : h("span", {}, "No linkage evidence names accounts in this campaign."));
  const more = (c.accounts || []).length > MAX_GRAPH_ACCOUNTS
    ? h("p", { class: "muted small" }, `Showing ${MAX_GRAPH_ACCOUNTS} of ${fmtInt(c.accounts.length)} accounts.`) : null;
  return h("div", {}, root, legend, more);
}

function evidenceList(c) {
  const items = c.evidence || [];
  if (!items.length) return h("p", { class: "empty" }, "No evidence recorded.");
  return h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Signal"), h("th", { class: "num" }, "Strength"),
    h("th", {}, "What was seen"), h("th", { class: "num" }, "Accounts"))),
  h("tbody", {}, items.map((ev) => h("tr", {},
    h("td", { class: "mono small" }, ev.signal),
    h("td", { class: "num" }, fmtScore(ev.strength)),
    h("td", { class: "small wrap" }, evidenceText(ev)),
    h("td", { class: "num" }, ev.account_count || (ev.account_ids || []).length
      ? fmtInt(ev.account_count ?? ev.account_ids.length) : h("span", { class: "muted small", title: "a campaign-wide level, not a per-account link" }, "all")))))));
}

function indicatorTables(c, dismissedInd) {
  const all = indicatorsOf(c);
  if (!all.length) return h("p", { class: "empty" }, "No indicators.");
  const v1 = all.every((i) => i.blockable === null || i.blockable === undefined);
  const table = (rows, blockable) => {
    if (!rows.length) return h("p", { class: "empty" }, blockable ? "No indicator is specific enough to block on." : "None.");
    return h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Kind"), h("th", {}, "Value"),
      h("th", { class: "num" }, "Accounts here"), h("th", { class: "num" }, "In the log"), h("th", {}, ""))),
    h("tbody", {}, rows.map((ind) => {
      const dismissed = dismissedInd.has(ind.kind + "\u0000" + String(ind.value));
      return h("tr", { "data-indicator": `${ind.kind}:${ind.value}` },
        h("td", { class: "small" }, ind.kind),
        h("td", { class: "mono small wrap" + (dismissed ? " strike" : "") }, String(ind.value)),
        h("td", { class: "num" }, fmtInt(ind.accounts_in_campaign)),
        h("td", { class: "num" }, fmtInt(ind.accounts_in_log)),
        h("td", {}, dismissed ? h("span", { class: "muted small" }, "dismissed")
          : h("button", { type: "button", class: "link dismiss-indicator", onclick: () => act(c,
            { action: "dismiss", indicator: { kind: String(ind.kind), value: String(ind.value) }, note: noteField() },
            `Indicator ${ind.kind} dismissed`) }, "dismiss")));
    }))));
  };
  if (v1) {
    return h("div", {}, h("p", { class: "muted small" }, "This detection run did not mark indicators blockable (campaigns.json v1): all are shown as context."),
      table(all, false));
  }
  return h("div", {},
    h("h3", {}, `Blockable (${all.filter((i) => i.blockable).length}) — specific to this campaign, safe to act on`), table(all.filter((i) => i.blockable), true),
    h("h3", {}, `Context (${all.filter((i) => !i.blockable).length}) — shared with other traffic, not to block on`), table(all.filter((i) => !i.blockable), false),
    c.indicators_truncated ? h("p", { class: "muted small" }, "The list is truncated; the totals per kind are in the campaign document.") : null);
}

function noteField() {
  const el = document.getElementById("action-note");
  return el && el.value.trim() ? el.value.trim() : null;
}

/* Example requests: each distinct (redacted) excerpt once, with the findings that cite it. */
function examples(c) {
  const byText = new Map();
  const cite = (text, source, ids) => {
    if (!text) return;
    const entry = byText.get(text) || { sources: [], ids: [] };
    if (!entry.sources.includes(source)) entry.sources.push(source);
    for (const id of ids || []) if (!entry.ids.includes(id)) entry.ids.push(id);
    byText.set(text, entry);
  };
  const idsOnly = [];
  for (const ev of c.evidence || []) {
    const ex = ev.excerpts || [];
    ex.forEach((t, i) => cite(t, ev.signal, (ev.request_ids || []).slice(i, i + 1)));
    if (!ex.length) for (const id of ev.request_ids || []) if (!idsOnly.includes(id)) idsOnly.push(id);
  }
  for (const ind of indicatorsOf(c)) cite(ind.excerpt, `${ind.kind} ${ind.value}`, ind.request_ids);
  const stored = storedExamples(c);
  if (!byText.size && !idsOnly.length) {
    return h("div", {}, h("p", { class: "empty" }, "No redacted excerpts: the log had no prompt text, or the service keeps none (--drop-text), or excerpts are turned off."), stored);
  }
  const blocks = [...byText.entries()].slice(0, 15).map(([text, e]) => h("div", { class: "example" },
    h("div", { class: "excerpt" }, text),
    h("div", { class: "small muted wrap" }, "cited by ", h("span", { class: "mono" }, e.sources.join(", ")),
      e.ids.length ? [" · ", h("span", { class: "mono" }, e.ids.slice(0, 3).join(", "))] : null)));
  return h("div", {}, h("div", { class: "scroll" },
    h("p", { class: "muted small" }, `${byText.size > 15 ? "15 of " : ""}${byText.size} distinct excerpt${byText.size === 1 ? "" : "s"}, redacted by the detector (addresses, URLs and digits masked; keyed hashes when a hash key is set).`),
    blocks,
    idsOnly.length ? h("div", { class: "mono small muted wrap" }, "other example request ids: " + idsOnly.slice(0, 12).join(", ")) : null),
  stored);
}

/* The stored exchanges behind the examples, fetched only when asked: they are the service's
 * copy (keyed hashes / no text when it was started with a hash key or --drop-text), cut short. */
function storedExamples(c) {
  const box = h("div", { id: "stored-examples" });
  const button = h("button", { type: "button", id: "show-stored", onclick: async () => {
    button.disabled = true;
    try {
      const res = await api("GET", "/v1/campaigns/" + seg(c.campaign_id) + "/examples?limit=8&text_chars=300");
      const rows = res.examples || [];
      clear(box).appendChild(rows.length ? h("table", {}, h("thead", {}, h("tr", {}, ["When", "Account", "Model", "Status", "Prompt / response (first 300 characters)"].map((t) => h("th", {}, t)))),
        h("tbody", {}, rows.map((r) => h("tr", {},
          h("td", { class: "small" }, fmtTime(r.timestamp)), h("td", { class: "mono small wrap" }, r.account_id || "–"),
          h("td", { class: "small" }, r.model || "–"), h("td", { class: "small" }, r.status || "–"),
          h("td", {}, r.prompt ? h("div", { class: "excerpt" }, r.prompt) : h("span", { class: "muted small" }, "no text kept"),
            r.response ? h("div", { class: "excerpt" }, r.response) : null)))))
        : h("p", { class: "empty" }, "No stored exchange found for this campaign."));
    } catch (ex) { toast(ex.message, true); button.disabled = false; }
  } }, "Show stored example exchanges");
  return h("div", { class: "stored" }, h("h3", {}, "Stored exchanges"),
    h("p", { class: "muted small" }, "The service's own copy, not redacted beyond its configuration (hash key, --drop-text): fetched only on request."), button, box);
}

function accountTable(c, dismissedAccounts) {
  const accounts = c.accounts || [];
  if (!accounts.length) return h("p", { class: "empty" }, "No accounts.");
  const signals = new Map();
  for (const ev of c.evidence || []) for (const a of ev.account_ids || []) signals.set(a, (signals.get(a) || 0) + 1);
  return h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Account"), h("th", { class: "num" }, "Findings"),
    h("th", {}, "Decision now"), h("th", {}, ""))),
  h("tbody", {}, accounts.map((a) => {
    const dismissed = dismissedAccounts.has(a);
    const out = h("span", { class: "small muted" });
    return h("tr", { "data-account": a },
      h("td", { class: "mono small wrap" + (dismissed ? " strike" : "") }, a),
      h("td", { class: "num" }, fmtInt(signals.get(a) || 0)),
      h("td", {}, out, h("button", { type: "button", class: "link check-decision", onclick: async () => {
        try {
          const d = await api("GET", "/v1/accounts/" + seg(a) + "/decision");
          clear(out).appendChild(badge("d", d.decision)); out.title = (d.reasons || []).join("; ");
        } catch (ex) { out.textContent = ex.message; }
      } }, "check")),
      h("td", {}, dismissed ? h("span", { class: "muted small" }, "dismissed")
        : h("button", { type: "button", class: "link dismiss-account", onclick: () => act(c,
          { action: "dismiss", account_id: a, note: noteField() }, "Account dismissed") }, "dismiss")));
  }))));
}

function auditTable(entries) {
  if (!entries.length) return h("p", { class: "empty" }, "No analyst action yet.");
  return h("table", {}, h("thead", {}, h("tr", {}, ["#", "When", "Who", "Action", "Target", "Note"].map((t) => h("th", {}, t)))),
    h("tbody", {}, entries.slice().reverse().map((e) => h("tr", {},
      h("td", { class: "num" }, e.seq), h("td", { class: "small" }, fmtTime(e.at)), h("td", { class: "mono small" }, e.actor),
      h("td", {}, e.action), h("td", { class: "mono small wrap" }, targetText(e.target)), h("td", { class: "small wrap" }, e.note || "")))));
}

function targetText(t) {
  if (!t) return "campaign";
  if (t.account_id) return "account " + t.account_id;
  if (t.indicator) return `indicator ${t.indicator.kind} ${t.indicator.value}`;
  if (t.assignee) return "assignee " + t.assignee;
  return JSON.stringify(t);
}

/* ---------- router ---------- */

async function route() {
  if (!apiKey()) { renderLogin(); return; }
  renderNav(true);
  const hash = location.hash || "#/";
  try {
    if (hash.startsWith("#/campaign/")) await renderCampaign(decodeURIComponent(hash.slice("#/campaign/".length)));
    else await renderList();
  } catch (ex) {
    if (ex.status === 401 || ex.status === 403) {
      sessionStorage.removeItem(KEY_SLOT);
      renderLogin(ex.status === 401 ? "Your key is no longer accepted: sign in again." : "This key may not use the case view.");
      return;
    }
    const main = clear(document.getElementById("main"));
    main.appendChild(h("div", { class: "card" }, h("p", { class: "error" }, ex.message),
      h("a", { href: "#/" }, "Back to the campaigns")));
  }
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", route);

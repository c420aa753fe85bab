/* nearpost dashboard: /api/state drawn on an SVG map (equirectangular
 * projection of the city's bounding box), refreshed on every event from
 * /api/events (debounced) and every 5 s; SLA every 15 s.  Incidents are
 * coloured by their marks (green before mark 1, amber past a mark on
 * time, red once a mark is missed or overdue), recomputed every second
 * against the server's clock.
 * Access: the API answers 401 until the supervisor logs in (POST
 * /api/login with a token); the server then sets an HttpOnly session
 * cookie, which fetch and EventSource send by themselves.  A 401 later
 * (expired, revoked, restarted) shows the login form again. */
"use strict";
const SVGNS = "http://www.w3.org/2000/svg";
const W = 1000, H = 700, PAD = 40;
let state = null, skew = 0, box = null, refreshTimer = null;
let started = false, es = null;

function $(id) { return document.getElementById(id); }
function el(tag, attrs, parent, ns) {
  const e = ns ? document.createElementNS(SVGNS, tag) : document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
function text(tag, s, parent) { const e = el(tag, {}, parent); e.textContent = s; return e; }

function bounds(st) {
  const pts = st.posts.map(p => [p.lat, p.lon]).concat(st.units.map(u => [u.lat, u.lon]));
  if (!pts.length) return { lat0: 0, lat1: 1, lon0: 0, lon1: 1 };
  let b = { lat0: 90, lat1: -90, lon0: 180, lon1: -180 };
  for (const [la, lo] of pts) {
    b.lat0 = Math.min(b.lat0, la); b.lat1 = Math.max(b.lat1, la);
    b.lon0 = Math.min(b.lon0, lo); b.lon1 = Math.max(b.lon1, lo);
  }
  const m = 0.004;
  b.lat0 -= m; b.lat1 += m; b.lon0 -= m; b.lon1 += m;
  return b;
}
function project(lat, lon) {
  const k = Math.cos((box.lat0 + box.lat1) / 2 * Math.PI / 180);
  const sx = (W - 2 * PAD) / ((box.lon1 - box.lon0) * k);
  const sy = (H - 2 * PAD) / (box.lat1 - box.lat0);
  const s = Math.min(sx, sy);
  return [PAD + (lon - box.lon0) * k * s, H - PAD - (lat - box.lat0) * s];
}
function unitClass(s) {
  if (s === "available") return "u-available";
  if (s === "onscene") return "u-onscene";
  if (s === "dispatched" || s === "acked" || s === "enroute") return "u-busy";
  return "u-out";
}
function level(inc, now) {
  let passed = false;
  for (const m of inc.marks) {
    if (m.state === "missed") return "red";
    if (m.due <= now) { passed = true; if (m.state === "pending") return "red"; }
  }
  return passed ? "amber" : "green";
}
function age(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

function drawMap(st) {
  const svg = $("map");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  if (!box) box = bounds(st);
  const gp = el("g", { id: "posts" }, svg, true);
  for (const p of st.posts) {
    const [x, y] = project(p.lat, p.lon);
    el("rect", { class: "post", x: x - 4, y: y - 4, width: 8, height: 8,
      "data-post": p.id }, gp, true);
    const t = el("text", { class: "label", x: x + 6, y: y + 3 }, gp, true);
    t.textContent = p.id;
  }
  const gu = el("g", { id: "units" }, svg, true);
  for (const u of st.units) {
    const [x, y] = project(u.lat, u.lon);
    const c = el("circle", { class: "unit " + unitClass(u.status), cx: x, cy: y,
      r: 3, "data-unit": u.id }, gu, true);
    el("title", {}, c, true).textContent = u.callsign + " " + u.kind + " " + u.status;
  }
  const gi = el("g", { id: "incidents-map" }, svg, true);
  for (const i of st.incidents) {
    const [x, y] = project(i.lat, i.lon);
    if (i.coverage_gap)
      el("circle", { class: "ring", cx: x, cy: y, r: 14 }, gi, true);
    const c = el("circle", { class: "incident level-" + i.level, cx: x, cy: y,
      r: 7, "data-incident": i.id }, gi, true);
    el("title", {}, c, true).textContent = i.id + " " + i.type;
  }
}

function drawLists(st) {
  const tb = $("incidents").tBodies[0];
  tb.textContent = "";
  for (const i of st.incidents) {
    const tr = el("tr", { class: "level-" + i.level, "data-incident": i.id }, tb);
    text("td", i.id, tr); text("td", i.type, tr); text("td", String(i.priority), tr);
    const a = text("td", age(i.age_ms), tr); a.className = "age";
    text("td", i.state + (i.coverage_gap ? " (gap)" : ""), tr); text("td", i.post, tr);
  }
  $("ninc").textContent = st.incidents.length;
  const ul = $("escalations");
  ul.textContent = "";
  for (const e of st.escalations)
    text("li", e.incident_id + " mark " + e.tier + ": " + e.action +
      (e.post ? " (post " + e.post + ")" : ""), ul);
  $("nesc").textContent = st.escalations.length;
  const by = st.counts.units;
  $("counts").textContent = Object.keys(by).sort().map(k => k + " " + by[k]).join(" \u00b7 ") +
    " \u00b7 gaps " + st.counts.coverage_gaps;
}

function tick() {
  if (!state) return;
  const now = Date.now() + skew;
  $("clock").textContent = new Date(now).toLocaleTimeString();
  for (const i of state.incidents) {
    i.age_ms = now - i.t0;
    i.level = level(i, now);
    for (const e of document.querySelectorAll('[data-incident="' + i.id + '"]')) {
      e.setAttribute("class", (e.tagName === "circle" ? "incident " : "") + "level-" + i.level);
      const a = e.querySelector(".age");
      if (a) a.textContent = age(i.age_ms);
    }
  }
}

async function refresh() {
  refreshTimer = null;
  try {
    const r = await fetch("/api/state", { cache: "no-store" });
    if (r.status === 401) { showLogin(await errorText(r, "")); return; }
    if (!r.ok) return;
    state = await r.json();
    skew = state.now - Date.now();
    drawMap(state); drawLists(state); tick();
    document.body.dataset.loaded = "1";
    startFeeds();
  } catch (e) { /* next refresh */ }
}
function soon() { if (!refreshTimer) refreshTimer = setTimeout(refresh, 250); }

async function sla() {
  try {
    const r = await fetch("/api/sla?window=" + $("window").value, { cache: "no-store" });
    if (!r.ok) return;
    const s = await r.json(), tb = $("sla").tBodies[0];
    tb.textContent = "";
    const pct = m => m.compliance === null ? "-" :
      m.compliance.toFixed(0) + "% (" + m.met + "/" + (m.met + m.missed) + ")";
    const row = (name, marks) => {
      const tr = el("tr", {}, tb); text("td", name, tr);
      for (const m of marks) text("td", pct(m), tr);
    };
    row("all posts", s.total);
    for (const d of s.districts) row("district " + d.district, d.marks);
    for (const p of s.posts) if (p.marks.some(m => m.met + m.missed > 0)) row(p.post, p.marks);
  } catch (e) { /* next round */ }
}

async function errorText(r, dflt) {
  try { return (await r.json()).error.message; } catch (e) { return dflt; }
}
function showLogin(msg) {
  $("login").hidden = false; $("logout").hidden = true;
  $("loginerr").textContent = msg;
  document.body.dataset.login = "1";
  if (es) { es.close(); es = null; }
}
async function login(ev) {
  ev.preventDefault();
  try {
    const r = await fetch("/api/login", { method: "POST", cache: "no-store",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: $("token").value.trim() }) });
    if (!r.ok) { showLogin(await errorText(r, "login refused")); return; }
    $("token").value = ""; $("login").hidden = true; $("logout").hidden = false;
    delete document.body.dataset.login;
    refresh(); sla();
  } catch (e) { showLogin("the dashboard is unreachable"); }
}
async function logout() {
  try { await fetch("/api/logout", { method: "POST" }); } catch (e) { /* gone */ }
  showLogin("logged out");
}
function startFeeds() {
  $("logout").hidden = false;
  if (!es || es.readyState === EventSource.CLOSED) feed();
  if (started) return;
  started = true; sla();
  setInterval(sla, 15000);
}

function feed() {
  const log = $("events");
  es = new EventSource("/api/events");
  es.onopen = () => { $("feed").textContent = "feed: live"; $("feed").className = "feed on"; soon(); };
  es.onerror = () => { $("feed").textContent = "feed: reconnecting"; $("feed").className = "feed off"; };
  const on = ev => {
    let d = {};
    try { d = JSON.parse(ev.data); } catch (e) { /* shown raw */ }
    const li = el("li", { "data-topic": ev.type }, null);
    li.textContent = ev.type + " " + (d.incident_id || (d.incident && d.incident.id) || d.unit_id || "");
    log.insertBefore(li, log.firstChild);
    while (log.childNodes.length > 100) log.removeChild(log.lastChild);
    soon();
  };
  for (const t of ["incident.created", "incident.upgraded", "call.merged", "route.decided",
    "order.issued", "order.cancelled", "unit.status", "mark.missed", "mark.met",
    "escalation", "incident.closed"])
    es.addEventListener(t, on);
}

$("window").addEventListener("change", sla);
$("loginform").addEventListener("submit", login);
$("logout").addEventListener("click", logout);
refresh();
setInterval(refresh, 5000);
setInterval(tick, 1000);

// The dashboard of `chup-harness serve`: plain JavaScript, no framework,
// nothing fetched from the network but this server's control API. Every
// value from the log is written with textContent, never as HTML: a
// receiver's answer is shown, never run.
"use strict";

const VISIT_STATES = [[1, "In Queue"], [2, "Alerted"], [3, "Arrived"], [4, "Serving"], [5, "Served"], [7, "Cancelled"], [8, "No Show"]];
const APPOINTMENT_STATES = [[1, "Booked"]];

let token = sessionStorage.getItem("chup-control-token") || "";
let version = -1;
const open = new Set();
let deliveries = [];

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else if (k === "onclick") e.addEventListener("click", v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c == null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function say(text, isError) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.className = isError ? "error" : "";
}

async function api(method, path, body) {
  const headers = {};
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401 && path.startsWith("/control")) {
    document.getElementById("token-box").hidden = false;
    throw new Error("the control token is missing or wrong");
  }
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.error || ("HTTP " + r.status));
  return data;
}

function fillSelect(select, options, selected) {
  select.replaceChildren(...options.map(([value, label]) => {
    const o = el("option", { value: String(value) }, label);
    if (String(value) === String(selected)) o.selected = true;
    return o;
  }));
}

function updateStates() {
  const event = document.getElementById("c-event").value;
  const states = event.startsWith("live_queue") ? VISIT_STATES : event.startsWith("appointment") ? APPOINTMENT_STATES : [];
  const fallback = event.endsWith("_created") ? "1" : "";
  fillSelect(document.getElementById("c-state"),
    [["", "as generated"], ...states.map(([c, n]) => [c, c + " " + n])], fallback && states.length ? fallback : "");
}

async function loadInfo() {
  const info = await api("GET", "/control/info");
  document.getElementById("info-target").textContent = info.target;
  document.getElementById("info-signing").textContent = info.signing;
  document.getElementById("info-secret").textContent = info.secret_fingerprint;
  document.getElementById("info-retry").textContent = info.retry.schedule +
    (info.retry.compress !== 1 ? " (÷" + info.retry.compress + ")" : "");
  fillSelect(document.getElementById("c-event"), info.events.map(e => [e, e]), "live_queue_created");
  fillSelect(document.getElementById("c-dialect"), info.dialects.map(d => [d, d]), "seed");
  fillSelect(document.getElementById("c-signing"), info.signing_profiles.map(p => [p, p]), info.signing);
  updateStates();
}

async function loadScenarios() {
  const list = await api("GET", "/control/scenarios");
  const box = document.getElementById("scenarios");
  box.replaceChildren(...list.map(s => el("button", {
    type: "button", "data-scenario": s.name, title: s.description,
    onclick: (ev) => runScenario(s.name, ev.currentTarget),
  }, el("strong", {}, s.name), el("small", {}, s.steps.length + " step" + (s.steps.length === 1 ? "" : "s")))));
}

async function runScenario(name, button) {
  button.disabled = true;
  say("running " + name + "…");
  try {
    const r = await api("POST", "/control/scenarios/" + encodeURIComponent(name) + "/run", {});
    const statuses = r.deliveries.map(d => d.status == null ? "no answer" : d.status);
    say(name + ": " + r.deliveries.length + " deliveries, answers " + statuses.join(", "));
  } catch (e) {
    say(name + ": " + e.message, true);
  } finally {
    button.disabled = false;
    refresh();
  }
}

async function sendEvent(ev) {
  ev.preventDefault();
  const body = {
    event: document.getElementById("c-event").value,
    dialect: document.getElementById("c-dialect").value,
    signing: document.getElementById("c-signing").value,
  };
  const state = document.getElementById("c-state").value;
  if (state) body.state = Number(state);
  const overrides = document.getElementById("c-overrides").value.trim();
  if (overrides) {
    try { body.overrides = JSON.parse(overrides); }
    catch (e) { say("overrides are not JSON: " + e.message, true); return; }
  }
  const button = document.getElementById("c-send");
  button.disabled = true;
  try {
    const d = await api("POST", "/control/events", body);
    const last = d.attempts[d.attempts.length - 1];
    say(d.event + " " + (d.record || "") + ": " + (last && last.status != null ? "HTTP " + last.status : "no answer") + " (seed " + d.seed + ")");
    open.add(d.id);
  } catch (e) {
    say(e.message, true);
  } finally {
    button.disabled = false;
    refresh();
  }
}

function time(ms) {
  return new Date(ms).toLocaleTimeString();
}

function origin(o) {
  switch (o.kind) {
    case "scenario": return o.scenario + " / " + o.step;
    case "resend": return (o.resigned ? "re-signed #" : "resend #") + o.of;
    default: return o.kind;
  }
}

function result(d) {
  const last = d.attempts[d.attempts.length - 1];
  const badge = el("span", { class: "badge " + d.state }, d.state);
  const answer = last ? (last.status != null ? " " + last.status : " " + (last.error || "no answer")) : "";
  return [badge, answer];
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
}

function detail(d) {
  const attempts = el("table", { class: "attempts" },
    el("thead", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, "at"), el("th", {}, "status"), el("th", {}, "latency"), el("th", {}, "answer"))),
    el("tbody", {}, ...d.attempts.map(a => el("tr", {},
      el("td", {}, a.n), el("td", {}, time(a.started_unix_ms)),
      el("td", { class: "mono" }, a.status == null ? "—" : a.status),
      el("td", {}, a.latency_ms.toFixed(1) + " ms"),
      el("td", { class: "mono" }, a.error ? a.error : (a.body || "(empty)"))))));
  const next = d.next_attempt_unix_ms ? el("p", { class: "hint" }, "next attempt at " + time(d.next_attempt_unix_ms)) : null;
  return el("td", { colSpan: 7 },
    el("h3", {}, "Attempts"), attempts, next,
    el("h3", {}, "Signature (" + d.signing + ")"), el("pre", {}, d.signature),
    el("h3", {}, "Request body (" + new TextEncoder().encode(d.request).length + " bytes, shown indented)"), el("pre", {}, pretty(d.request)),
    el("details", {}, el("summary", {}, "the exact bytes sent"), el("pre", { class: "raw" }, d.request)),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", "data-resend": d.id, onclick: () => resend(d.id, false) }, "Resend same bytes"),
      el("button", { type: "button", class: "secondary", "data-resign": d.id, onclick: () => resend(d.id, true) }, "Re-sign and send")));
}

async function resend(id, resign) {
  try {
    const d = await api("POST", "/control/deliveries/" + id + "/resend", { resign });
    say("delivery #" + d.id + " (" + (resign ? "re-signed" : "same bytes") + " of #" + id + ")");
    open.add(d.id);
  } catch (e) {
    say(e.message, true);
  }
  refresh();
}

function render() {
  const body = document.getElementById("log-body");
  const rows = [];
  for (const d of [...deliveries].reverse()) {
    const last = d.attempts[d.attempts.length - 1];
    rows.push(el("tr", {
      class: "delivery", "data-id": d.id, "data-state": d.state,
      "data-status": last && last.status != null ? last.status : "",
      onclick: () => { open.has(d.id) ? open.delete(d.id) : open.add(d.id); render(); },
    },
      el("td", {}, d.id), el("td", {}, time(d.created_unix_ms)), el("td", {}, origin(d.origin)),
      el("td", { class: "mono" }, d.event), el("td", { class: "mono" }, d.record || ""),
      el("td", {}, ...result(d)), el("td", {}, d.attempts.length)));
    if (open.has(d.id)) rows.push(el("tr", { class: "detail" }, detail(d)));
  }
  body.replaceChildren(...rows);
  document.getElementById("log-count").textContent = "(" + deliveries.length + ")";
  document.getElementById("log-empty").hidden = deliveries.length > 0;
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  const live = document.getElementById("live");
  try {
    const log = await api("GET", "/control/deliveries");
    live.className = "live";
    live.textContent = "live";
    if (log.version !== version) {
      version = log.version;
      deliveries = log.deliveries;
      render();
    }
  } catch (e) {
    live.className = "live off";
    live.textContent = "offline";
  } finally {
    refreshing = false;
  }
}

async function start() {
  try {
    await loadInfo();
    await loadScenarios();
    document.getElementById("token-box").hidden = true;
    say("");
  } catch (e) {
    say(e.message, true);
  }
  refresh();
}

document.getElementById("c-event").addEventListener("change", updateStates);
document.getElementById("composer").addEventListener("submit", sendEvent);
document.getElementById("clear").addEventListener("click", async () => {
  try {
    const r = await api("DELETE", "/control/deliveries");
    open.clear();
    say("cleared " + r.cleared + " deliveries");
  } catch (e) { say(e.message, true); }
  refresh();
});
document.getElementById("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = document.getElementById("token").value;
  sessionStorage.setItem("chup-control-token", token);
  start();
});
setInterval(refresh, 1000);
start();

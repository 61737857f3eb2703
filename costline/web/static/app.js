// costline's page: every figure comes from the JSON API (the same Costline calls as the
// CLI); this file only sends inputs and draws what comes back. No build step, no CDN.
(() => {
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};
const usd = (x) => {
  if (x === null || x === undefined) return "n/a";
  const a = Math.abs(x);
  const sign = x < 0 ? "-$" : "$";
  if (a === 0) return "$0";
  if (a < 1) {
    // three significant figures, and cents at least: $0.10, $0.00938
    let text = String(Number(a.toPrecision(3)));
    if (text.includes("e")) text = a.toFixed(Math.min(20, 2 - Math.floor(Math.log10(a))));
    const decimals = (text.split(".")[1] || "").length;
    return sign + (decimals < 2 ? a.toFixed(2) : text);
  }
  const digits = a >= 100 ? 0 : 2;
  return sign + a.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
};
const pct = (x) => (x === null || x === undefined ? "n/a" : (x * 100).toFixed(1) + "%");
const num = (x) => Math.round(x).toLocaleString("en-US");

class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : (detail && detail[0] && detail[0].msg) || "error");
    this.status = status;
    this.detail = Array.isArray(detail) ? detail : [{ msg: String(detail), field: null }];
  }
}

async function api(path, body, { method, raw, signal, contentType } = {}) {
  const init = { method: method || (body === undefined ? "GET" : "POST"), signal };
  if (body !== undefined) {
    init.body = raw ? body : JSON.stringify(body);
    init.headers = { "content-type": contentType || "application/json" };
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    let detail = await response.text();
    try { detail = JSON.parse(detail).detail; } catch (_) { /* plain text */ }
    throw new ApiError(response.status, detail);
  }
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.blob();
}

function showError(box, err) {
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = err.detail
    ? err.detail.map((d) => (d.field ? d.field + ": " : "") + d.msg).join("\n")
    : String(err);
}

// -- tabs ----------------------------------------------------------------------------------

for (const tab of $$("[role=tab]")) {
  tab.addEventListener("click", () => {
    for (const t of $$("[role=tab]")) t.setAttribute("aria-selected", String(t === tab));
    for (const s of $$(".tab")) s.hidden = s.id !== "tab-" + tab.dataset.tab;
    if (tab.dataset.tab === "saved") refreshSaved();
  });
}

// -- the scenario: YAML is the source of truth, the form edits it ---------------------------

const state = { scenario: null, document: null, selfHost: null, evalController: null, fullTimer: null, checkTimer: null };
const yamlBox = $("#yaml");

function fieldErrors(err) {
  for (const old of $$(".field-error")) old.remove();
  for (const input of $$("#form [data-path]")) input.removeAttribute("aria-invalid");
  showError($("#yaml-error"), null);
  showError($("#slider-error"), null);
  if (!err) return;
  const problem = err.detail[0] || {};
  const field = problem.field || "";
  if (field.startsWith("sliders")) { showError($("#slider-error"), err); return; }
  showError($("#yaml-error"), err);
  // beside the form field the error names (the longest path that contains it)
  let best = null;
  for (const input of $$("#form [data-path]")) {
    const p = input.dataset.path;
    if ((field === p || field.startsWith(p + ".") || field.startsWith(p + "["))
        && (!best || p.length > best.dataset.path.length)) best = input;
  }
  if (!best && field) {
    // an error about a whole block (users: give start or by_month): its first field
    best = $$("#form [data-path]").find((input) => input.dataset.path.startsWith(field + ".")
      || input.dataset.path.startsWith(field + "[")) || null;
  }
  if (best) {
    best.setAttribute("aria-invalid", "true");
    best.after(el("span", { class: "field-error", role: "alert" }, problem.msg));
  }
}

function setYaml(text) {
  yamlBox.value = text;
  state.resetSliders = true;  // a new scenario: the sliders start from its own values
  scheduleCheck(0);
}

function scheduleCheck(delay = 400) {
  clearTimeout(state.checkTimer);
  state.checkTimer = setTimeout(checkYaml, delay);
}

async function checkYaml() {
  try {
    const { scenario, document } = await api("/api/check", { yaml: yamlBox.value });
    state.scenario = scenario;
    state.document = document;
    if (!$("#form").contains(document.activeElement)) renderForm();
    if (state.resetSliders) { state.resetSliders = false; $("#s-route-to").value = ""; resetSliders(); }
    fieldErrors(null);
    evaluate(true);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    fieldErrors(err);
    markStale();
  }
}

// the figures on show are of the last scenario that validated: say so, and grey them
function markStale() {
  const badge = $("#precision");
  badge.textContent = "the figures below are of the last valid scenario: fix the error to update them";
  badge.dataset.precision = "stale";
  $(".right").classList.add("stale");
}

yamlBox.addEventListener("input", () => scheduleCheck());

// a path such as features[0].usage.output_tokens.value, as the validation errors spell it
function pathParts(path) {
  return path.replace(/\[(\d+)\]/g, ".$1").split(".").filter(Boolean);
}
function getPath(obj, path) {
  return pathParts(path).reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}
function setPath(obj, path, value) {
  const parts = pathParts(path);
  let o = obj;
  for (const k of parts.slice(0, -1)) { if (o[k] === undefined || o[k] === null) o[k] = {}; o = o[k]; }
  o[parts[parts.length - 1]] = value;
}

// the form edits the YAML in place on the server (comments and layout kept); a change that
// does not validate leaves the YAML as it was and puts the error beside its field
// edits run one after another, each on the YAML the one before left: two in flight could
// answer out of order and the later answer would bring back what the other removed
function edit(edits, options = {}) {
  const run = (state.editChain || Promise.resolve()).then(() => sendEdit(edits, options));
  state.editChain = run.catch(() => undefined);  // one failure does not stop the next edit
  return run;
}

async function sendEdit(edits, { rerender = false } = {}) {
  try {
    const out = await api("/api/edit", { yaml: yamlBox.value, edits });
    yamlBox.value = out.yaml;
    state.scenario = out.scenario;
    state.document = out.document;
    fieldErrors(null);
    if (rerender) renderForm();
    evaluate(true);
  } catch (err) {
    if (err instanceof ApiError) fieldErrors(err); else throw err;
  }
}

// shares over plans sum to 1: changing or removing one scales the others to make room
function shareEdits(plans, skip, total) {
  total = Number(total.toFixed(6));
  const others = plans.map((p, i) => [i, Number(p.share) || 0]).filter(([i]) => i !== skip);
  const sum = others.reduce((a, [, v]) => a + v, 0);
  const edits = [];
  let left = total;
  others.forEach(([i, v], n) => {
    const share = n === others.length - 1 ? left
      : Number((sum > 0 ? v * total / sum : total / others.length).toFixed(6));
    left = Number((left - share).toFixed(6));
    edits.push({ path: `plans[${i}].share`, value: Math.max(0, share) });
  });
  return edits;
}

function formChanged(input) {
  // a field the form has just replaced (Chrome fires its change as it goes): not an edit
  if (!input.isConnected) return undefined;
  const raw = input.value.trim();
  const share = /^plans\[(\d+)\]\.share$/.exec(input.dataset.path);
  const plans = (state.document && state.document.plans) || [];
  if (share && raw !== "" && !isNaN(Number(raw)) && plans.length > 1 && Number(raw) >= 0 && Number(raw) <= 1) {
    const i = Number(share[1]);
    return edit([{ path: input.dataset.path, value: Number(raw) }, ...shareEdits(plans, i, 1 - Number(raw))],
      { rerender: true });
  }
  if (raw === "") return edit([{ path: input.dataset.path, op: "delete" }]);
  const value = input.dataset.kind === "number" && !isNaN(Number(raw)) ? Number(raw) : raw;
  return edit([{ path: input.dataset.path, value }]);
}

function input(label, path, kind = "number", extra = {}) {
  const value = getPath(state.document, path);
  const box = el("input", { "data-path": path, "data-kind": kind, value: value ?? "", ...extra });
  if (kind === "number") box.setAttribute("inputmode", "decimal");
  box.addEventListener("change", () => formChanged(box));
  return el("label", {}, label + " ", box);
}

// a quantity is a number, or {median, p95}, or {value}: one input per figure the file gives
function quantityInputs(label, path) {
  const q = getPath(state.document, path);
  if (!q || typeof q !== "object" || Array.isArray(q)) return [input(label, path)];
  return Object.keys(q).filter((k) => k !== "samples").map((k) => input(`${label} (${k})`, `${path}.${k}`));
}

function button(text, onclick, extra = {}) {
  return el("button", { type: "button", class: "small", ...extra, onclick }, text);
}

function removeButton(what, path) {
  return button("Remove", () => edit([{ path, op: "delete" }], { rerender: true }),
    { "aria-label": `Remove ${what}`, title: `Remove ${what}` });
}

function legend(text, path) {
  return el("legend", path ? { "data-path": path } : {}, text);
}

const label = (key) => key.replaceAll("_", " ");

function renderForm() {
  const d = state.document;
  const form = $("#form");
  form.replaceChildren();
  if (!d) return;
  const users = d.users || {};
  form.append(el("fieldset", {}, legend("Product"),
    input("Name", "name", "text"), input("Start (YYYY-MM)", "start", "text"),
    input("Months", "horizon_months"),
    ...(users.by_month ? [el("span", { class: "note" }, "users by month: edit them in the YAML")]
      : [input("Users in month 1", "users.start"), input("Monthly growth (0.08 = 8%)", "users.monthly_growth"),
        input("User cap", "users.cap")])));

  const plans = el("fieldset", {}, legend("Plans (shares sum to 1)", "plans"));
  const planList = d.plans || [];
  planList.forEach((p, i) => plans.append(el("div", { class: "row" },
    input("Plan", `plans[${i}].name`, "text"), input("USD a month", `plans[${i}].price_usd_per_month`),
    input("Share of users", `plans[${i}].share`),
    button("Remove", () => edit([...shareEdits(planList, i, 1), { path: `plans[${i}]`, op: "delete" }], { rerender: true }),
      { "aria-label": `Remove plan ${p.name}`, title: `Remove plan ${p.name} (the others' shares grow to fill)` }))));
  plans.append(button("+ plan", () => edit([{ path: "plans", op: "append",
    value: { name: `plan ${planList.length + 1}`, price_usd_per_month: 0, share: planList.length ? 0 : 1 } }],
  { rerender: true })));
  if (planList.length > 1) plans.append(el("span", { class: "note" }, " a share you change takes its room from the other plans"));
  form.append(plans);

  const features = d.features || [];
  features.forEach((f, i) => {
    const at = `features[${i}]`;
    const box = el("fieldset", {}, legend(`Feature: ${f.name}`, at),
      input("Name", `${at}.name`, "text"), removeButton(`feature ${f.name}`, at));
    if (typeof f.model === "string") {
      box.append(input("Model", `${at}.model`, "text", { list: "model-list", class: "model-pick" }));
    }
    (f.routing || []).forEach((r, j) => {
      if (typeof r.model === "string") {
        box.append(el("div", { class: "row" },
          input(`Route ${j + 1} model`, `${at}.routing[${j}].model`, "text", { list: "model-list", class: "model-pick" }),
          input("share", `${at}.routing[${j}].share`)));
      }
    });
    if (f.deployment) box.append(el("p", { class: "note" }, "Served on rented GPUs: edit the deployment in the YAML."));
    const trigger = f.trigger || {};
    box.append(input("Share of users who use it", `${at}.trigger.user_share`));
    for (const rate of ["queries_per_day", "queries_per_month", "active_days_per_month"]) {
      if (trigger[rate] != null) box.append(...quantityInputs(label(rate), `${at}.trigger.${rate}`));
    }
    for (const [key, value] of Object.entries(f.usage || {})) {
      if (value === null || typeof value === "boolean") continue;
      if (key.endsWith("_share")) box.append(input(label(key), `${at}.usage.${key}`));
      else box.append(...quantityInputs(label(key), `${at}.usage.${key}`));
    }
    form.append(box);
  });
  if (features.length) {
    const last = structuredClone(features[features.length - 1]);
    last.name = `${last.name} (copy)`;
    form.append(button("+ feature (a copy of the last, to change)", () => edit(
      [{ path: "features", op: "append", value: last }], { rerender: true })));
  }

  const monthly = el("fieldset", {}, legend("Monthly costs (fixed, per user, per paying user, share of revenue)", "monthly"));
  (d.monthly || []).forEach((m, i) => monthly.append(el("div", { class: "row" },
    input("Monthly", `monthly[${i}].name`, "text"), input("USD a month", `monthly[${i}].usd_per_month`),
    input("USD a user", `monthly[${i}].usd_per_user`), input("USD a paying user", `monthly[${i}].usd_per_paying_user`),
    input("Share of revenue", `monthly[${i}].share_of_revenue`), removeButton(`monthly ${m.name}`, `monthly[${i}]`))));
  monthly.append(button("+ monthly cost", () => edit([{ path: "monthly", op: "append",
    value: { name: `monthly cost ${(d.monthly || []).length + 1}`, usd_per_month: 0 } }], { rerender: true })));
  form.append(monthly);

  const once = el("fieldset", {}, legend("One-time costs (amortised straight-line)", "one_time"));
  (d.one_time || []).forEach((o, i) => {
    const row = el("div", { class: "row" }, input("One-time", `one_time[${i}].name`, "text"));
    if (o.training || o.fine_tune) row.append(el("span", { class: "note" }, `${o.kind || "training"} run, estimated by costline (edit it in the YAML)`));
    else row.append(input("USD", `one_time[${i}].amount_usd`));
    row.append(input("Over months", `one_time[${i}].amortise_months`), removeButton(`one-time ${o.name}`, `one_time[${i}]`));
    once.append(row);
  });
  once.append(button("+ one-time cost", () => edit([{ path: "one_time", op: "append",
    value: { name: `one-time cost ${(d.one_time || []).length + 1}`, amount_usd: 0 } }], { rerender: true })));
  form.append(once);
  for (const pick of $$(".model-pick", form)) pick.addEventListener("input", () => searchModels(pick.value));
}

let modelSearch = null;
async function searchModels(q) {
  if (q.length < 2) return;
  clearTimeout(modelSearch);
  modelSearch = setTimeout(async () => {
    const rows = await api("/api/models?limit=30&q=" + encodeURIComponent(q));
    $("#model-list").replaceChildren(...rows.map((m) => el("option", { value: m.ref },
      `${m.name || m.ref}: in ${usd(m.input_usd_per_mtok)}, out ${usd(m.output_usd_per_mtok)} /1M` +
      (m.shutdown ? ` · shuts down ${m.shutdown}` : ""))));
  }, 200);
}
$("#s-route-to").addEventListener("input", (e) => searchModels(e.target.value));

$("#load-example").addEventListener("click", async () => {
  const { yaml } = await api("/api/examples/" + encodeURIComponent($("#example").value));
  setYaml(yaml);
});
$("#upload-scenario").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (file) setYaml(await file.text());
});
$("#download-yaml").addEventListener("click", () => save(new Blob([yamlBox.value], { type: "text/yaml" }), "scenario.yaml"));

function save(blob, name) {
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a); a.click(); a.remove();
}

// -- sliders -------------------------------------------------------------------------------

const sliders = {
  users: { id: "s-users", key: "users_start", to: (v) => Math.round(10 ** v), show: (x) => num(x) },
  growth: { id: "s-growth", key: "monthly_growth", to: Number, show: (x) => pct(x) + " a month" },
  queries: { id: "s-queries", key: "queries_factor", to: (v) => 2 ** v, show: (x) => "×" + x.toFixed(2) },
  output: { id: "s-output", key: "output_tokens_factor", to: (v) => 2 ** v, show: (x) => "×" + x.toFixed(2) },
  price: { id: "s-price", key: "plan_price_factor", to: (v) => 2 ** v, show: (x) => "×" + x.toFixed(2) },
  cache: { id: "s-cache", key: "cache_hit_rate", to: Number, show: pct },
  route: { id: "s-route", key: "routing_share", to: Number, show: pct },
  change: { id: "s-change", key: "annual_price_change", to: Number, show: (x) => pct(x) + " a year" },
};
const touched = new Set();

function resetSliders() {
  touched.clear();
  const s = state.scenario || {};
  const users = (s.users && (s.users.start || (s.users.by_month || [])[0])) || 1000;
  const defaults = {
    users: Math.log10(users), growth: (s.users && s.users.monthly_growth) || 0, queries: 0, output: 0,
    price: 0, cache: 0, route: 0, change: (s.price_trajectory && s.price_trajectory.annual_change) || 0,
  };
  for (const [name, spec] of Object.entries(sliders)) {
    const box = $("#" + spec.id);
    box.value = defaults[name];
    $(`output[for=${spec.id}]`).textContent = spec.show(spec.to(Number(box.value)));
  }
  // the slider's steps round; until it moves, it shows the scenario's own figure
  $("output[for=s-users]").textContent = num(users);
}

function sliderValues() {
  const out = {};
  for (const [name, spec] of Object.entries(sliders)) {
    if (touched.has(name)) out[spec.key] = spec.to(Number($("#" + spec.id).value));
  }
  const to = $("#s-route-to").value.trim();
  if (to) out.route_to = to;
  return out;
}

for (const [name, spec] of Object.entries(sliders)) {
  const box = $("#" + spec.id);
  box.addEventListener("input", () => {
    touched.add(name);
    $(`output[for=${spec.id}]`).textContent = spec.show(spec.to(Number(box.value)));
    evaluate(true);
  });
}
$("#s-route-to").addEventListener("change", () => evaluate(true));
$("#reset").addEventListener("click", () => { $("#s-route-to").value = ""; resetSliders(); evaluate(true); });
$("#bake").addEventListener("click", async () => {
  try {
    const { yaml } = await api("/api/yaml", { yaml: yamlBox.value, sliders: sliderValues() });
    yamlBox.value = yaml;
    const { scenario, document } = await api("/api/check", { yaml });
    state.scenario = scenario;
    state.document = document;
    // cache and routing are levers over the scenario, not fields of it: they stay set
    const levers = { cache: $("#s-cache").value, route: $("#s-route").value };
    const kept = ["cache", "route"].filter((name) => touched.has(name));
    resetSliders();
    for (const name of kept) {
      touched.add(name);
      const spec = sliders[name];
      $("#" + spec.id).value = levers[name];
      $(`output[for=${spec.id}]`).textContent = spec.show(spec.to(Number(levers[name])));
    }
    if (!kept.includes("route")) $("#s-route-to").value = "";
    renderForm();
    evaluate(true);
  } catch (err) { if (err instanceof ApiError) fieldErrors(err); else throw err; }
});

// -- results: a quick preview while a slider moves, then the full run --------------------

async function evaluate(preview) {
  if (!state.scenario) return;
  if (state.evalController) state.evalController.abort();
  const controller = new AbortController();
  state.evalController = controller;
  clearTimeout(state.fullTimer);
  const badge = $("#precision");
  badge.textContent = preview ? "computing…" : "settling on full precision…";
  try {
    const body = { yaml: yamlBox.value, sliders: sliderValues(), preview };
    if (state.selfHost) Object.assign(body, state.selfHost);
    const out = await api("/api/evaluate", body, { signal: controller.signal });
    // a form edit that was refused keeps its error: the figures are of the YAML as it was
    showError($("#slider-error"), null);
    renderResults(out);
    $(".right").classList.remove("stale");
    const brief = $("#brief");
    if (brief.dataset.asked && brief.dataset.asked !== JSON.stringify({ yaml: yamlBox.value, sliders: sliderValues() })) {
      brief.classList.add("stale");  // answered for another scenario or other sliders
      $("#brief-stale").hidden = false;
    }
    const sim = out.result.simulation;
    badge.textContent = out.precision === "preview"
      ? `preview: ${num(sim.query_samples)} samples a feature; settling…`
      : `full precision: ${num(sim.query_samples)} samples a feature, as costline run`;
    badge.dataset.precision = out.precision;
    if (preview) state.fullTimer = setTimeout(() => evaluate(false), 350);
  } catch (err) {
    if (err.name === "AbortError") return;
    badge.textContent = "";
    if (!(err instanceof ApiError)) throw err;
    const field = (err.detail[0] || {}).field || "";
    if (state.selfHost && field === "self_host") {
      // the self-hosting option does not apply: say why and show the figures without it
      showError($("#sh-error"), err);
      setSelfHost(null);
    } else { fieldErrors(err); markStale(); }
  }
}

function setSelfHost(value) {
  state.selfHost = value;
  $("#sh-clear").hidden = !value;
  evaluate(true);
}
$("#sh-show").addEventListener("click", () => {
  showError($("#sh-error"), null);
  const tp = $("#sh-tp").value;
  setSelfHost({ self_host: `${$("#sh-model").value}@${$("#sh-gpu").value}`,
    self_host_tp: tp ? Number(tp) : null, self_host_dtype: $("#sh-dtype").value });
});
$("#sh-clear").addEventListener("click", () => setSelfHost(null));

function card(title, value, sub, meter) {
  const c = el("div", { class: "card" }, el("h4", {}, title), el("div", { class: "value" }, value));
  if (sub) c.append(el("div", { class: "sub" }, sub));
  if (meter) c.append(meter);
  return c;
}

// a bar with the 30% and 50% lines (the scenario's own thresholds)
function meter(share, lines) {
  const bar = el("div", { class: "meter" });
  const fill = el("div", { class: "fill" });
  fill.style.width = Math.max(0, Math.min(1, share ?? 0)) * 100 + "%";
  bar.append(fill);
  for (const [at, label] of lines) {
    const mark = el("div", { class: "mark", title: label }, el("span", {}, label));
    mark.style.left = at * 100 + "%";
    bar.append(mark);
  }
  return bar;
}

function table(header, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, ...header.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c))))));
}

function renderResults(out) {
  const r = out.result;
  const b = r.blended;
  const t = (state.scenario && state.scenario.thresholds) || {};
  const cogsMax = t.cogs_share_max ?? 0.3;
  const marginMin = t.gross_margin_min ?? 0.5;
  const cards = [
    card("Gross margin", pct(b.gross_margin), `first month ${b.month}; warns below ${pct(marginMin)}`,
      meter(b.gross_margin, [[0.3, "30%"], [0.5, "50%"]])),
    card("Inference COGS / ARPU", pct(b.cogs_share_of_arpu), `warns above ${pct(cogsMax)}`,
      meter(b.cogs_share_of_arpu, [[0.3, "30%"], [0.5, "50%"]])),
    card("Monthly COGS", usd(b.cogs_usd), `revenue ${usd(b.revenue_usd)} from ${num(b.users)} users`),
  ];
  for (const f of r.features) {
    cards.push(card(`Cost per query: ${f.name}`, `${usd(f.cost_per_query.median)} median`,
      `${usd(f.cost_per_query.p95)} p95`));
  }
  for (const p of r.plans) {
    cards.push(card(`Cost per user: ${p.name}`, `${usd(p.cost_per_user.median)} median`,
      `${usd(p.cost_per_user.p95)} p95 · ${pct(p.cogs_share_of_arpu)} of ${usd(p.price_usd_per_month)}`));
  }
  $("#cards").replaceChildren(...cards);
  $("#cards").dataset.margin = String(b.gross_margin);
  $("#plans").replaceChildren(el("h3", {}, "Cost per user, by plan"), table(
    ["plan", "price", "median", "p95", "COGS / price", "margin"],
    r.plans.map((p) => [p.name, usd(p.price_usd_per_month), usd(p.cost_per_user.median),
      usd(p.cost_per_user.p95), pct(p.cogs_share_of_arpu), pct(p.gross_margin)])));
  $("#actions").replaceChildren(...(r.actions.length ? [el("h3", {}, "Cost per action"), table(
    ["action", "median", "p95"],
    r.actions.map((a) => [a.name, usd(a.cost_per_action.median), usd(a.cost_per_action.p95)]))] : []));
  $("#warnings").replaceChildren(...(r.warnings.length
    ? r.warnings.map((w) => el("li", { class: "warning" }, el("code", {}, w.code), " ", w.message))
    : [el("li", {}, "None.")]));
  drawCharts($("#charts"), out.charts);
}

function drawCharts(box, charts) {
  box.replaceChildren();
  for (const [key, spec] of Object.entries(charts)) {
    const div = el("div", { class: "chart", id: "chart-" + key });
    box.append(div);
    if (window.vegaEmbed) window.vegaEmbed(div, spec, { renderer: "svg", actions: false });
  }
}

$("#brief-button").addEventListener("click", async () => {
  const box = $("#brief");
  box.textContent = "Answering (the brief goal-seeks each missed threshold)…";
  try {
    const { markdown } = await api("/api/brief", { yaml: yamlBox.value, sliders: sliderValues() });
    box.textContent = markdown;
    box.dataset.asked = JSON.stringify({ yaml: yamlBox.value, sliders: sliderValues() });
    box.classList.remove("stale");
    $("#brief-stale").hidden = true;
  } catch (err) { box.textContent = err.message; }
});

for (const button of $$("[data-download]")) {
  button.addEventListener("click", async () => {
    const kind = button.dataset.download;
    button.disabled = true;
    try {
      const body = { yaml: yamlBox.value, sliders: sliderValues() };
      if (kind === "html" && state.selfHost) Object.assign(body, state.selfHost);  // its curves too
      const blob = await api("/api/export/" + kind, body);
      save(blob, { xlsx: "scenario.xlsx", html: "report.html", md: "brief.md" }[kind]);
    } catch (err) { if (err instanceof ApiError) fieldErrors(err); else throw err; }
    finally { button.disabled = false; }
  });
}

// -- training and self-hosting ---------------------------------------------------------------

const NONE = { crossover_month: "never, within the horizon", crossover_queries_per_month: "never, in the range swept" };

function flat(obj) {
  return Object.entries(obj).filter(([, v]) => v === null || typeof v !== "object")
    .map(([k, v]) => [k.replaceAll("_", " "), v === null ? (NONE[k] || "—")
      : typeof v === "number" ? (Math.abs(v) >= 1e6 ? v.toExponential(3) : v.toLocaleString("en-US", { maximumSignificantDigits: 4 }))
        : String(v)]);
}

function calculator(formId, path, body) {
  const form = $("#" + formId);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = {};
    for (const [k, v] of new FormData(form).entries()) {
      if (String(v).trim() === "") continue;
      // 1e400 reads as Infinity, which JSON sends as null: send the text, for a 422
      values[k] = Number.isFinite(Number(v)) ? Number(v) : v;
    }
    try {
      const out = await api(path, body(values));
      showError($(".error", form), null);
      $(".out", form).replaceWith(el("table", { class: "out" }, el("tbody", {}, ...flat(out).map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))))));
      if (formId === "breakeven-form") {
        const ev = await api("/api/evaluate", { yaml: yamlBox.value, self_host: `${values.model}@${values.gpu}`,
          self_host_tp: values.tp ?? null, self_host_dtype: values.dtype ?? null });
        drawCharts($(".chart-out", form), { breakeven: ev.charts.breakeven });
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      showError($(".error", form), err);
      $(".out", form).replaceChildren();
      const chart = $(".chart-out", form);
      if (chart) chart.replaceChildren();
    }
  });
}
calculator("train-form", "/api/train", (v) => v);
calculator("selfhost-form", "/api/selfhost", (v) => v);
calculator("breakeven-form", "/api/breakeven", (v) => ({ yaml: yamlBox.value, model: String(v.model), gpu: String(v.gpu),
  tp: v.tp ?? null, dtype: v.dtype ?? null }));

async function fillCatalogs() {
  const [gpus, open] = await Promise.all([api("/api/gpus"), api("/api/open-models")]);
  for (const select of $$(".gpu-list")) select.replaceChildren(...gpus.map((g) => el("option", { value: g.id }, g.name || g.id)));
  // the first choice: the largest open model whose bf16 weights (2 bytes a parameter) fit
  // one server of the first GPU, as costline sizes a replica (the server's size and the
  // usable share of GPU memory are the catalog's), so the defaults work
  const gpu = gpus[0] || {};
  const room = (gpu.memory_gb || 0) * 1e9 * Number(document.body.dataset.autoTp)
    * Number(document.body.dataset.memoryShare);
  const fits = open.filter((m) => m.params * 2 < room).sort((a, b) => b.params - a.params)[0];
  for (const select of $$(".open-list")) {
    select.replaceChildren(...open.map((m) => el("option", { value: m.id }, m.id)));
    if (fits) select.value = fits.id;
  }
}

// -- pilot data --------------------------------------------------------------------------------

function logQuery() {
  const q = new URLSearchParams({ kind: $("#log-kind").value });
  if ($("#log-format").value) q.set("format", $("#log-format").value);
  for (const pair of $("#log-map").value.split(",").map((p) => p.trim()).filter(Boolean)) q.append("map", pair);
  return q.toString();
}

// the format follows the file's name; a CSV or Parquet export needs its columns named
$("#log-file").addEventListener("input", (e) => {
  const name = ((e.target.files[0] || {}).name || "").toLowerCase().replace(/\.(gz|zst)$/, "");
  const kind = ["parquet", "csv", "json", "jsonl"].find((k) => name.endsWith("." + k));
  if (kind) $("#log-kind").value = kind;
});

$("#log-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  const box = $("#log-summary");
  box.textContent = "Pricing…";
  try {
    const out = await api("/api/logs?" + logQuery(), file, { raw: true, contentType: "application/octet-stream" });
    showError($("#log-error"), null);
    const u = out.usage;
    box.replaceChildren(
      el("p", {}, `${num(out.ingest.rows_priced)} rows priced, ${num(out.ingest.rows_rejected)} rejected; ` +
        `total ${usd(out.ingest.total_cost_usd)} from ${out.ingest.first_request || "?"} to ${out.ingest.last_request || "?"}.`),
      el("h3", {}, "By feature"),
      table(["feature", "queries", "cost", "median / query", "p95 / query", "share"],
        u.groups.map((g) => [g.key ?? "(none)", num(g.queries), usd(g.cost_usd), usd(g.cost_per_query_median), usd(g.cost_per_query_p95), pct(g.share_of_cost)])),
      ...(Object.keys(out.ingest.rejected_by_reason).length ? [
        el("h3", {}, "Rejected rows"),
        table(["reason", "rows"], Object.entries(out.ingest.rejected_by_reason).map(([k, v]) => [k, num(v)])),
        table(["line", "reason"], out.rejects.map((r) => [r.line, r.reason])),
      ] : []));
    const rec = out.reconciliation;
    if (rec) {
      const share = (x) => (x === null || x === undefined ? "-" : (x >= 0 ? "+" : "") + (x * 100).toFixed(1) + "%");
      box.append(
        el("h3", {}, "Logged cost beside costline's price"),
        el("p", {}, `${num(rec.rows_with_logged_cost)} rows carry a cost: costline ${usd(rec.costline_usd)}, ` +
          `the logs ${usd(rec.logged_usd)} (${share(rec.difference_share)}). More than ${pct(rec.flag_share)} off is flagged.`),
        table(["model", "month", "rows", "costline", "logged", "share", ""],
          rec.groups.map((g) => [g.priced_as, g.month, num(g.rows), usd(g.costline_usd), usd(g.logged_usd),
            share(g.difference_share), g.flagged ? "flagged" : ""])),
        ...rec.groups.flatMap((g) => g.causes.map((c) => el("p", { class: "warning" }, `${g.model} ${g.month}: ${c}`))));
    }
    $("#fit").hidden = false;
  } catch (err) {
    box.textContent = "";
    $("#fit").hidden = true;
    if (err instanceof ApiError) showError($("#log-error"), err); else throw err;
  }
});

$("#fit").addEventListener("click", async () => {
  const file = $("#log-file").files[0];
  if (!file) return;
  const box = $("#fit-summary");
  box.textContent = "Fitting…";
  try {
    const out = await api("/api/logs/fit?" + logQuery(), file, { raw: true, contentType: "application/octet-stream" });
    const o = out.observed;
    box.replaceChildren(
      el("p", {}, `Fitted to ${o.month}: ${num(o.users)} users, ${num(o.calls)} calls, ${usd(o.cost_usd)} observed; ` +
        `the fitted scenario models ${usd(out.modelled_cost_usd)} (${(out.gap * 100).toFixed(1)}%). It is now in the Model tab. ` +
        "Logs cannot tell revenue: add its plans and prices in the form (+ plan) to see a margin."),
      ...out.warnings.map((w) => el("p", { class: "warning" }, w)));
    const previous = yamlBox.value;
    box.append(el("p", {}, el("button", { type: "button", onclick: (ev) => {
      setYaml(previous);
      ev.target.closest("p").replaceChildren("The previous scenario is back in the Model tab.");
    } }, "Undo: bring back the previous scenario")));
    setYaml(out.yaml);
  } catch (err) { box.textContent = ""; if (err instanceof ApiError) showError($("#log-error"), err); else throw err; }
});

// -- the sorting exercise --------------------------------------------------------------------

const BUCKETS = ["unsorted", "training", "inference", "other"];
const NAMES = { training: "Training (CapEx)", inference: "Inference (OpEx)", other: "Other", unsorted: "To sort" };
const board = { items: [] };

function renderCard(item, index) {
  const li = el("li", { class: "card-item", draggable: "true", tabindex: "0", "data-index": String(index),
    "aria-label": item.description },
    el("div", { class: "desc" }, item.description), el("div", { class: "verdict" }));
  li.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", String(index)));
  li.addEventListener("keydown", (e) => {
    const keys = { t: "training", i: "inference", o: "other", u: "unsorted" };
    const at = BUCKETS.indexOf(item.bucket);
    let to = keys[e.key.toLowerCase()];
    if (e.key === "ArrowRight") to = BUCKETS[Math.min(BUCKETS.length - 1, at + 1)];
    if (e.key === "ArrowLeft") to = BUCKETS[Math.max(0, at - 1)];
    if (to) { e.preventDefault(); place(index, to); $(`[data-index="${index}"]`).focus(); }
  });
  return li;
}

function place(index, bucket) {
  const item = board.items[index];
  item.bucket = bucket;
  const li = $(`li[data-index="${index}"]`);
  $(`.bucket[data-bucket="${bucket}"] ul`).append(li);
  const verdict = $(".verdict", li);
  li.classList.remove("right", "wrong", "moved");
  const c = item.classified;
  const why = c ? `costline: ${NAMES[c.bucket]}, ${Math.round(c.confidence * 100)}% sure: ${c.reason}` : "";
  if (bucket === "unsorted") { verdict.textContent = ""; }
  else if (item.expected) {
    const right = bucket === item.expected;
    li.classList.add(right ? "right" : "wrong");
    verdict.textContent = (right ? "✓ Right. " : `✗ It belongs in ${NAMES[item.expected]}. `) + why;
  } else {
    const moved = c && bucket !== c.bucket;
    if (moved) li.classList.add("moved");
    verdict.textContent = (moved ? "Corrected by you. " : "") + why;
  }
  $("#sort-status").textContent = `${item.description}: moved to ${NAMES[bucket]}.`;
  totals();
}

// each bucket's amount, when the lines have amounts
function totals() {
  for (const name of BUCKETS) {
    const items = board.items.filter((i) => i.bucket === name && typeof i.amount === "number");
    const head = $(`.bucket[data-bucket="${name}"] h3`);
    head.dataset.total = items.length ? usd(items.reduce((a, i) => a + i.amount, 0)) : "";
    head.textContent = NAMES[name] + (head.dataset.total ? ` · ${head.dataset.total}` : "");
  }
}

for (const bucket of $$(".bucket")) {
  bucket.addEventListener("dragover", (e) => e.preventDefault());
  bucket.addEventListener("drop", (e) => {
    e.preventDefault();
    place(Number(e.dataTransfer.getData("text/plain")), bucket.dataset.bucket);
  });
}

function loadBoard(items) {
  board.items = items;
  for (const ul of $$(".bucket ul")) ul.replaceChildren();
  items.forEach((item, i) => $(`.bucket[data-bucket="unsorted"] ul`).append(renderCard(item, i)));
  items.forEach((item, i) => { if (item.bucket !== "unsorted") place(i, item.bucket); });
  $("#sort-status").textContent = "";
  totals();
}

async function sortLines(lines, sorted) {
  try {
    const out = sorted || await api("/api/classify", { lines });
    showError($("#sort-error"), null);
    loadBoard(out.items.map((c) => ({ description: c.description, amount: c.amount, classified: c, bucket: c.bucket })));
    const problems = out.problems || [];
    if (problems.length) {
      showError($("#sort-error"), problems.map(([row, why]) => `row ${row}: ${why}`).join("\n"));
    }
  } catch (err) { if (err instanceof ApiError) showError($("#sort-error"), err); else throw err; }
}

$("#sort-exercise").addEventListener("click", async () => {
  const items = await api("/api/exercise");
  const out = await api("/api/classify", { lines: items.map((i) => i.description) });
  loadBoard(items.map((item, i) => ({ description: item.description, expected: item.bucket, classified: out.items[i], bucket: "unsorted" })));
});
$("#sort-paste").addEventListener("click", () => sortLines($("#paste-lines").value.split("\n").map((l) => l.trim()).filter(Boolean)));
$("#bill-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  try {
    const q = new URLSearchParams({ column: $("#bill-column").value.trim() || "description" });
    if ($("#bill-amount").value.trim()) q.set("amount", $("#bill-amount").value.trim());
    sortLines(null, await api("/api/classify/csv?" + q, file, { raw: true, contentType: "text/csv" }));
  } catch (err) { if (err instanceof ApiError) showError($("#sort-error"), err); else throw err; }
});
$("#sort-download").addEventListener("click", () => {
  // a cell a spreadsheet would run as a formula (=, +, -, @) is written as text
  const q = (s) => {
    let text = String(s ?? "");
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
    return `"${text.replaceAll('"', '""')}"`;
  };
  const rows = [["description", "amount", "bucket", "costline_bucket", "confidence", "reason"].join(",")];
  for (const item of board.items) {
    const c = item.classified || {};
    rows.push([q(item.description), item.amount ?? "", item.bucket, c.bucket ?? "", c.confidence ?? "", q(c.reason)].join(","));
  }
  save(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }), "sorted-lines.csv");
});

// -- saved scenarios ---------------------------------------------------------------------------

// a saved name in a URL, "/" and all (%2F: the server reads the rest of the path as the name)
const savedPath = (name) => encodeURIComponent(name);

async function refreshSaved() {
  const list = await api("/api/scenarios");
  const box = $("#saved-list");
  if (!list.length) { box.textContent = "Nothing saved yet."; return; }
  box.replaceChildren(...list.map((s) => el("div", { class: "saved" }, el("h3", {}, s.name),
    el("ul", {}, ...s.versions.map((v) => el("li", {},
      el("input", { type: "checkbox", class: "pick", "data-name": s.name, "data-version": String(v.version), "aria-label": `${s.name} version ${v.version}` }),
      ` version ${v.version}, ${v.saved_at}${v.note ? " — " + v.note : ""} `,
      el("button", { onclick: async () => {
        const got = await api(`/api/scenarios/${savedPath(s.name)}?version=${v.version}`);
        setYaml(got.yaml);
        $("[data-tab=model]").click();
      } }, "open")))))));
}

$("#save").addEventListener("click", async () => {
  const name = $("#save-name").value.trim();
  if (!name) { showError($("#save-error"), "name the scenario first"); return; }
  if (name === "." || name === "..") { showError($("#save-error"), "a name cannot be '.' or '..'"); return; }
  try {
    await api(`/api/scenarios/${savedPath(name)}`, { yaml: yamlBox.value, note: $("#save-note").value });
    showError($("#save-error"), null);
    refreshSaved();
  } catch (err) { if (err instanceof ApiError) showError($("#save-error"), err); else throw err; }
});

$("#compare").addEventListener("click", async () => {
  const picked = $$(".pick:checked");
  if (picked.length !== 2) { showError($("#save-error"), "tick two versions to compare"); return; }
  const [a, b] = await Promise.all(picked.map((p) => api(`/api/scenarios/${savedPath(p.dataset.name)}?version=${p.dataset.version}`)));
  const earlier = a.saved_at < b.saved_at || (a.saved_at === b.saved_at && a.version < b.version);
  const [before, after] = earlier ? [a, b] : [b, a];
  try {
    const d = await api("/api/diff", { before: before.yaml, after: after.yaml });
    const fmt = (c, x) => (c.kind === "share" ? pct(x) : c.kind === "count" ? num(x ?? 0) : usd(x));
    const rows = (changes) => changes.map((c) => [c.name, fmt(c, c.before), fmt(c, c.after)]);
    $("#diff").replaceChildren(
      el("h3", {}, `${before.name} v${before.version} → ${after.name} v${after.version}`),
      table(["first month", "before", "after"], rows(d.headline)),
      table(["over the horizon", "before", "after"], rows(d.horizon)),
      ...d.notes.map((n) => el("p", { class: "note" }, n)));
    showError($("#save-error"), null);
  } catch (err) { if (err instanceof ApiError) showError($("#save-error"), err); else throw err; }
});

// -- start ---------------------------------------------------------------------------------------

window.addEventListener("DOMContentLoaded", async () => {
  fillCatalogs();
  if (!yamlBox.value.trim() && $("#example").value) {
    const { yaml } = await api("/api/examples/" + encodeURIComponent($("#example").value));
    yamlBox.value = yaml;
  }
  state.resetSliders = true;
  if (yamlBox.value.trim()) await checkYaml();
});
})();

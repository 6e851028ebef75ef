// 精准对接控制台 -- the web console of lmatch-serve.  Plain JavaScript, no
// build step, no framework; talks to the JSON API under /v1/ of the same
// origin.  Every piece of data is put in the page as text (textContent),
// never as HTML.
"use strict";

const KINDS = { problem: "问题", achievement: "成果", expert: "专家" };
const LIBS = { problem: "问题库", achievement: "成果库", expert: "人才库" };
const OTHERS = { problem: ["achievement", "expert"], achievement: ["problem", "expert"], expert: ["problem", "achievement"] };
const COMPONENT_NAMES = {
  bm25: "文本相关度", fields: "领域", region: "地区", maturity: "成熟度", evidence: "成果佐证",
  topic: "主题", cosine: "语义", cosine_ext: "外部向量", probability: "概率",
};
const PALETTE = ["#1f5fbf", "#e07b39", "#3a9d5d", "#8e5cc2", "#c23b5a", "#2aa3a3", "#b59a1d", "#6b7a90", "#d45fb0"];

const state = { options: null, weights: {}, records: {}, problems: [], picked: new Set(), lastAlloc: null };

// ---- helpers ---------------------------------------------------------------

const $ = (sel) => document.querySelector(sel);
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k === "style") e.style.cssText = v;   // CSSOM: allowed by the page's CSP
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}
function fmt(x, d = 3) { return typeof x === "number" ? x.toFixed(d) : ""; }

function showMessage(text) {
  const m = $("#message");
  m.textContent = text;
  m.classList.toggle("hidden", !text);
}

function token() { return sessionStorage.getItem("lmatch-token") || ""; }

class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || ("HTTP " + status));
    this.status = status; this.code = e.code || ""; this.field = e.field || "";
  }
}

async function api(method, path, body) {
  const headers = {};
  if (token()) headers["Authorization"] = "Bearer " + token();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (!resp.ok) {
    if (resp.status === 401 || resp.status === 403) $("#token-panel").classList.remove("hidden");
    throw new ApiError(resp.status, data);
  }
  return data;
}

function errorText(e) {
  if (e instanceof ApiError) {
    const hints = { 401: "需要访问令牌", 403: "令牌无效或服务只读", 404: "未找到", 413: "请求过大", 503: "服务繁忙，请稍后重试" };
    return (hints[e.status] ? hints[e.status] + "：" : "出错：") + e.message;
  }
  return "无法连接服务：" + e.message;
}

// A record by kind and id, fetched once.
async function record(kind, id) {
  const key = kind + "/" + id;
  if (!state.records[key])
    state.records[key] = api("GET", "/v1/records/" + kind + "/" + encodeURIComponent(id)).catch(() => null);
  return state.records[key];
}
function labelOf(rec) { return rec ? (rec.kind === "expert" ? rec.name : rec.title) || "" : ""; }
function bodyOf(rec) {
  if (!rec) return "";
  if (rec.kind === "problem") return rec.description || "";
  if (rec.kind === "achievement") return rec.abstract || "";
  return [rec.research, rec.bio].filter(Boolean).join("　");
}

// Text with the matched terms marked: the terms are the analyzer's tokens
// (lower case, Simplified script); they are found case-insensitively.
function highlighted(text, terms) {
  const out = document.createDocumentFragment();
  const ts = (terms || []).filter((t) => t && t.length > 0)
    .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).sort((a, b) => b.length - a.length);
  if (!text || !ts.length) { out.append(text || ""); return out; }
  const re = new RegExp("(" + ts.join("|") + ")", "gi");
  let last = 0, m;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    out.append(text.slice(last, m.index), el("mark", { text: m[0] }));
    last = m.index + m[0].length;
  }
  out.append(text.slice(last));
  return out;
}

// About `n` characters of `text` around its first matched term.
function snippet(text, terms, n = 140) {
  if (!text || text.length <= n) return text || "";
  const low = text.toLowerCase();
  let at = -1;
  for (const t of terms || []) { const i = low.indexOf(t.toLowerCase()); if (i >= 0 && (at < 0 || i < at)) at = i; }
  const start = Math.max(0, Math.min(at < 0 ? 0 : at - 30, text.length - n));
  return (start > 0 ? "…" : "") + text.slice(start, start + n) + (start + n < text.length ? "…" : "");
}

// ---- score components -------------------------------------------------------

function componentColor(name) {
  const names = Object.keys(COMPONENT_NAMES);
  const i = names.indexOf(name);
  return PALETTE[(i >= 0 ? i : names.length + name.length) % PALETTE.length];
}

// The bar of a hit: its length is the match probability (匹配度, the same
// scale for every query; the score relative to the list's best when the
// library gives none), split into one segment per component in proportion
// to weight x value (the weights are the registry's defaults of the
// w_<component> options): what carries the match.
function scoreBar(hit, maxScore) {
  const p = typeof hit.probability === "number" ? hit.probability : null;
  const bar = el("div", { class: "scorebar", title: p === null ? "匹配分 = Σ 权重 × 分项" : "匹配度 " + fmt(100 * p, 1) + "%" });
  const legend = el("div", { class: "legend" });
  const parts = [];
  for (const [name, value] of Object.entries(hit.components || {})) {
    const w = state.weights[name];
    if (w === undefined || !value || w * value <= 0) continue;
    parts.push([name, value, w, w * value]);
  }
  const sum = parts.reduce((s, x) => s + x[3], 0) || 1;
  const length = 100 * (p === null ? hit.score / maxScore : p);
  for (const [name, value, w, part] of parts) {
    const label = (COMPONENT_NAMES[name] || name);
    bar.append(el("span", { class: "seg", "data-component": name, style: "width:" + (length * part / sum).toFixed(2) +
      "%;background:" + componentColor(name), title: label + " " + fmt(value, 2) + " × " + w + " = " + fmt(part, 3) }));
    legend.append(el("i", { style: "background:" + componentColor(name) }), label + " " + fmt(value, 2));
  }
  return [bar, legend];
}

async function hitItem(hit, rank, maxScore) {
  const rec = await record(hit.kind, hit.id);
  const title = hit.label || labelOf(rec) || hit.id;
  const li = el("li", { class: "hit", "data-id": hit.id, "data-kind": hit.kind });
  li.append(el("div", { class: "head" },
    el("span", { class: "rank", text: rank + "." }),
    el("a", { class: "title", href: "#record/" + hit.kind + "/" + encodeURIComponent(hit.id) }, highlighted(title, hit.terms)),
    el("span", { class: "id", text: hit.id }),
    el("span", { class: "score", text: fmt(hit.score) }),
    ...(typeof hit.probability === "number" ? [el("span", { class: "prob", text: "匹配度 " + fmt(100 * hit.probability, 1) + "%" })] : [])));
  li.append(...scoreBar(hit, maxScore));
  const body = bodyOf(rec);
  if (body) li.append(el("div", { class: "snippet" }, highlighted(snippet(body, hit.terms), hit.terms)));
  if (hit.terms && hit.terms.length) {
    const terms = el("div", { class: "terms" }, el("span", { class: "small", text: "命中词：" }));
    for (const t of hit.terms.slice(0, 24)) terms.append(el("span", { class: "term", text: t }));
    li.append(terms);
  }
  if (hit.evidence && hit.evidence.length) {
    const ul = el("ul", { class: "evidence" });
    for (const ev of hit.evidence) {
      const a = await record("achievement", ev.id);
      ul.append(el("li", { class: "evidence-item", "data-id": ev.id },
        el("span", { class: "minibar", style: "width:" + Math.round(40 * ev.score) + "px", title: "相关度 " + fmt(ev.score, 2) }),
        el("a", { href: "#record/achievement/" + encodeURIComponent(ev.id), text: labelOf(a) || ev.id }),
        el("span", { class: "small", text: "　" + ev.id + " · 相关度 " + fmt(ev.score, 2) })));
    }
    li.append(el("div", { class: "small", text: "支撑成果：" }), ul);
  }
  return li;
}

async function renderHits(list, results) {
  list.textContent = "";
  const hits = results.results || [];
  const maxScore = Math.max(1e-9, ...hits.map((h) => h.score));
  const items = await Promise.all(hits.map((h, i) => hitItem(h, i + 1, maxScore)));
  list.append(...items);
  if (!hits.length) list.append(el("li", { class: "info", text: "没有匹配结果。" }));
}

// ---- views ---------------------------------------------------------------

function show(view) {
  for (const v of ["search", "record", "event"]) $("#view-" + v).classList.toggle("hidden", v !== view);
  $("#nav-search").classList.toggle("active", view === "search" || view === "record");
  $("#nav-event").classList.toggle("active", view === "event");
}

async function runSearch(ev) {
  if (ev) ev.preventDefault();
  const text = $("#search-input").value.trim();
  const kind = $("#search-kind").value;
  if (!text) return;
  showMessage("");
  $("#search-info").textContent = "检索中…";
  try {
    const k = Math.max(1, Math.min(100, parseInt($("#search-k").value, 10) || 10));
    const res = await api("POST", "/v1/query", { text, to: kind, k });
    await renderHits($("#search-results"), res);
    $("#search-info").textContent = LIBS[kind] + "中与「" + text + "」最匹配的 " + (res.results || []).length +
      " 条；查询词：" + (res.query_terms || []).join(" ");
  } catch (e) {
    $("#search-info").textContent = "";
    showMessage(errorText(e));
  }
}

function recordCard(rec) {
  const card = $("#record-card");
  card.textContent = "";
  card.append(el("div", { class: "small", text: LIBS[rec.kind] + " · " + rec.id }));
  card.append(el("h1", { class: "record-title", text: labelOf(rec) || rec.id }));
  const meta = el("div", { class: "record-meta" });
  if (rec.org) meta.append(el("span", { text: "单位：" + rec.org }));
  if (rec.region) meta.append(el("span", { text: "地区：" + rec.region }));
  if (rec.maturity) meta.append(el("span", { text: "成熟度：TRL " + rec.maturity }));
  card.append(meta);
  if (rec.kind === "expert" && rec.research) card.append(el("div", { class: "record-body", text: "研究方向：" + rec.research }));
  const body = rec.kind === "expert" ? rec.bio : bodyOf(rec);
  if (body) card.append(el("div", { class: "record-body", text: body }));
  const tags = el("div", {});
  for (const f of rec.fields || []) tags.append(el("span", { class: "tag", text: f }));
  for (const k of rec.keywords || []) tags.append(el("span", { class: "term", text: k }));
  card.append(tags);
  const links = rec.kind === "expert" ? rec.achievements : rec.kind === "achievement" ? rec.experts : null;
  if (links && links.length) {
    const other = rec.kind === "expert" ? "achievement" : "expert";
    const p = el("div", { class: "small" }, (other === "expert" ? "完成人：" : "代表成果："));
    for (const id of links) p.append(el("a", { href: "#record/" + other + "/" + encodeURIComponent(id), text: id }), " ");
    card.append(p);
  }
}

async function openRecord(kind, id) {
  show("record");
  showMessage("");
  const rec = await record(kind, id);
  if (!rec) {
    $("#record-card").textContent = "未找到" + (KINDS[kind] || "记录") + " " + id + "。";
    $("#record-matches").textContent = "";
    return;
  }
  recordCard(rec);
  const cols = $("#record-matches");
  cols.textContent = "";
  await Promise.all(OTHERS[kind].map(async (to) => {
    const list = el("ol", { class: "hits", id: "matches-" + to });
    const col = el("div", { class: "column" }, el("h2", { text: "最匹配的" + KINDS[to] }), list);
    cols.append(col);
    try {
      const res = await api("POST", "/v1/match", { from: { kind, id }, to, k: 5 });
      await renderHits(list, res);
    } catch (e) {
      list.append(el("li", { class: "info", text: errorText(e) }));
    }
  }));
}

// ---- 对接会 ---------------------------------------------------------------

async function loadProblems() {
  const all = [];
  for (let offset = 0; ; ) {
    const page = await api("GET", "/v1/records/problem?limit=1000&offset=" + offset);
    all.push(...page.records);
    offset += page.records.length;
    if (!page.records.length || offset >= page.total || offset >= 5000) break;
  }
  state.problems = all;
  renderProblemList();
}

function renderProblemList() {
  const q = $("#event-filter").value.trim().toLowerCase();
  const ul = $("#event-problems");
  ul.textContent = "";
  for (const p of state.problems) {
    const hay = [p.id, p.label, p.region || "", ...(p.fields || [])].join(" ").toLowerCase();
    if (q && !hay.includes(q)) continue;
    const box = el("input", { type: "checkbox", value: p.id });
    box.checked = state.picked.has(p.id);
    box.addEventListener("change", () => { box.checked ? state.picked.add(p.id) : state.picked.delete(p.id); updatePicked(); });
    ul.append(el("li", {}, el("label", {}, box, el("span", { class: "id", text: p.id }), el("span", { text: p.label }),
      el("span", { class: "small", text: (p.fields || []).join("、") }))));
  }
  updatePicked();
}

function updatePicked() {
  $("#event-picked").textContent = "已选 " + state.picked.size + " / " + state.problems.length + " 个问题";
  $("#event-run").disabled = state.picked.size === 0;
}

function setPickedVisible(on) {
  for (const box of document.querySelectorAll("#event-problems input[type=checkbox]")) {
    box.checked = on;
    on ? state.picked.add(box.value) : state.picked.delete(box.value);
  }
  updatePicked();
}

// The inputs take their defaults and bounds from the option registry.
function setupEventInputs() {
  const byName = {};
  for (const o of state.options || []) byName[o.name] = o;
  for (const [input, name] of [["#event-capacity", "capacity"], ["#event-per-problem", "per_problem"], ["#event-min-score", "min_score"]]) {
    const o = byName[name];
    if (!o) continue;
    const e = $(input);
    e.value = o.default; e.min = o.min; e.max = o.max;
    e.title = o.help;
  }
}

async function runAllocation() {
  showMessage("");
  const to = $("#event-to").value;
  const body = { to, problems: state.problems.map((p) => p.id).filter((id) => state.picked.has(id)) };
  for (const [input, name, parse] of [["#event-capacity", "capacity", parseInt], ["#event-per-problem", "per_problem", parseInt],
                                     ["#event-min-score", "min_score", parseFloat]]) {
    const v = $(input).value.trim();
    if (v !== "") body[name] = parse(v, 10);
  }
  $("#event-run").disabled = true;
  $("#event-run").textContent = "分配中…";
  try {
    const res = await api("POST", "/v1/allocate", body);
    state.lastAlloc = { res, to, problems: body.problems };
    renderAllocation();
  } catch (e) {
    showMessage(errorText(e));
  } finally {
    $("#event-run").textContent = "运行分配";
    updatePicked();
  }
}

function allocationRows() {
  const { res } = state.lastAlloc;
  const lp = (res.labels && res.labels.problems) || {}, lc = (res.labels && res.labels.candidates) || {};
  return res.pairs.map((p) => [p.problem, lp[p.problem] || "", p.candidate, lc[p.candidate] || "", p.score]);
}

function renderAllocation() {
  const { res, to, problems } = state.lastAlloc;
  $("#event-result").classList.remove("hidden");
  const tbody = $("#alloc-table tbody");
  tbody.textContent = "";
  let prev = null;
  for (const [pid, plabel, cid, clabel, score] of allocationRows()) {
    tbody.append(el("tr", { class: pid !== prev ? "first" : "" },
      el("td", {}, el("a", { href: "#record/problem/" + encodeURIComponent(pid), text: pid })),
      el("td", { text: pid !== prev ? plabel : "" }),
      el("td", {}, el("a", { href: "#record/" + to + "/" + encodeURIComponent(cid), text: cid })),
      el("td", { text: clabel }),
      el("td", { class: "num", text: fmt(score) })));
    prev = pid;
  }
  const assigned = new Set(res.pairs.map((p) => p.problem));
  const un = problems.filter((id) => !assigned.has(id));
  $("#alloc-total").textContent = "共 " + res.pairs.length + " 对，总匹配分 " + fmt(res.total);
  $("#alloc-unassigned").textContent = un.length ? "未分配的问题（容量或最低分所限）：" + un.join("、") : "所有选中的问题都已分配。";
}

function csvField(v) {
  const s = String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function downloadCsv() {
  if (!state.lastAlloc) return;
  const head = ["问题编号", "问题", "对接对象编号", "对接对象", "匹配分"];
  const lines = [head, ...allocationRows().map((r) => [r[0], r[1], r[2], r[3], fmt(r[4], 4)])].map((r) => r.map(csvField).join(","));
  // A byte order mark, so that spreadsheet programs read the UTF-8.
  const blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
  const a = el("a", { href: URL.createObjectURL(blob), download: "对接会分配.csv" });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

// ---- start ------------------------------------------------------------------

async function route() {
  const h = decodeURIComponent(location.hash.slice(1));
  const m = h.match(/^record\/(problem|achievement|expert)\/(.+)$/);
  if (m) return openRecord(m[1], m[2]);
  if (h === "event") {
    show("event");
    if (!state.problems.length) {
      try { await loadProblems(); } catch (e) { showMessage(errorText(e)); }
    }
    return;
  }
  show("search");
}

async function loadMeta() {
  try {
    const o = await api("GET", "/v1/options");
    state.options = o.options;
    for (const opt of o.options)
      if (opt.name.startsWith("w_") && opt.type === "double") state.weights[opt.name.slice(2)] = opt.default;
    setupEventInputs();
    const st = await api("GET", "/v1/stats");
    const r = st.records || {};
    $("#counts").textContent = "问题 " + (r.problem || 0) + " · 成果 " + (r.achievement || 0) + " · 专家 " + (r.expert || 0);
  } catch (e) {
    showMessage(errorText(e));
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  $("#search-form").addEventListener("submit", runSearch);
  $("#event-filter").addEventListener("input", renderProblemList);
  $("#event-all").addEventListener("click", () => setPickedVisible(true));
  $("#event-none").addEventListener("click", () => setPickedVisible(false));
  $("#event-run").addEventListener("click", runAllocation);
  $("#csv-download").addEventListener("click", downloadCsv);
  $("#token-button").addEventListener("click", () => $("#token-panel").classList.toggle("hidden"));
  $("#token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("lmatch-token", $("#token-input").value.trim());
    $("#token-input").value = "";
    $("#token-panel").classList.add("hidden");
    state.records = {};
    loadMeta().then(route);
  });
  $("#token-clear").addEventListener("click", () => sessionStorage.removeItem("lmatch-token"));
  window.addEventListener("hashchange", route);
  await loadMeta();
  await route();
  document.body.dataset.ready = "1";
});

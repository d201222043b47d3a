// The demo page: one query, three rankings side by side, with facets, filters and explanations.
// The URL carries the search (q, user, category, brand, price, in_stock, view), so a link opens it
// and back / forward step through searches.
"use strict";

const MODES = ["bm25", "hybrid", "personalized"];
const state = { category: null, brand: null, view: "personalized" };
const $ = (selector) => document.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function fmt(value, digits = 3) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

// With an API key configured every request needs it: the page asks once and keeps it for the tab.
const KEY = "aisle-api-key";

async function apiFetch(path) {
  const key = sessionStorage.getItem(KEY);
  const response = await fetch(path, { headers: key ? { "X-API-Key": key } : {} });
  if (response.status === 401) $("#key-form").hidden = false;
  return response;
}

function params(mode) {
  const p = new URLSearchParams({ q: $("#q").value.trim(), mode, size: "10", explain: "true" });
  const shopper = $("#shopper").value;
  if (mode === "personalized" && shopper) p.set("user_id", shopper);
  if (mode === "hybrid") { p.append("facets", "category"); p.append("facets", "brand"); }
  if (state.category) p.set("category", state.category);
  if (state.brand) p.set("brand", state.brand);
  const low = $("#price-min").value, high = $("#price-max").value;
  if (low || high) p.set("price", `${low}-${high}`);
  if ($("#in-stock").checked) p.set("availability", "in_stock");
  return p;
}

function explanation(hit) {
  const why = hit.explanation;
  if (!why) return el("div", { class: "why" }, `score ${fmt(hit.score)}`);
  const parts = [`lexical ${fmt(why.lexical_normalized ?? why.lexical_score)}`,
    `semantic ${fmt(why.semantic_normalized ?? why.semantic_score)}`];
  const line = el("div", { class: "why" }, parts.join(" · "));
  if (why.personal_delta !== null && why.personal_delta !== undefined) {
    const sign = why.personal_delta >= 0 ? "plus" : "minus";
    line.append(" · personal ", el("span", { class: sign }, `${why.personal_delta >= 0 ? "+" : ""}${fmt(why.personal_delta)}`));
  }
  return line;
}

function renderHits(column, body) {
  const list = column.querySelector(".hits");
  list.replaceChildren(...body.hits.map((hit) => el("li", { class: "hit", "data-id": hit.id },
    el("div", { class: "title" }, hit.title),
    el("div", { class: "meta" }, [hit.brand, hit.category, hit.price != null ? `$${hit.price.toFixed(2)}` : null]
      .filter(Boolean).join(" · ")),
    explanation(hit))));
  // `total` is what this ranking can page through in every column: the products matching the words,
  // and for hybrid and personalized also the nearest ones by meaning that the words missed.
  let status = `${body.total} results · ${body.took_ms.toFixed(0)} ms`;
  if (column.dataset.mode === "personalized") {
    status += body.personalization.applied ? ` · personalized (${body.personalization.history_size} purchases)`
      : ` · not personalized: ${body.personalization.reason}`;
  }
  const line = column.querySelector(".status");
  line.className = "status";
  line.textContent = status;
}

function renderFacets(facets) {
  const aside = $("#facets");
  aside.replaceChildren();
  for (const [name, buckets] of Object.entries(facets || {})) {
    if (!buckets.length) continue;
    aside.append(el("h3", {}, name), el("ul", { "data-facet": name }, ...buckets.map((b) => {
      const item = el("li", { "data-value": b.value }, `${b.value.split(">").pop().trim()} `, el("span", { class: "count" }, `(${b.count})`));
      item.addEventListener("click", () => {
        state[name] = name === "category" ? b.value.split(">").map((s) => s.trim()).join(" > ") : b.value;
        search();
      });
      return item;
    })));
  }
}

function renderActiveFilters() {
  const holder = $("#active-filters");
  holder.replaceChildren();
  for (const name of ["category", "brand"]) {
    if (!state[name]) continue;
    const chip = el("span", { class: "chip", "data-filter": name }, `${name}: ${state[name]} ×`);
    chip.addEventListener("click", () => { state[name] = null; search(); });
    holder.append(chip);
  }
}

async function searchColumn(mode) {
  const column = document.querySelector(`.column[data-mode="${mode}"]`);
  column.querySelector(".status").textContent = "searching…";
  try {
    const response = await apiFetch(`/search?${params(mode)}`);
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
    renderHits(column, body);
    if (mode === "hybrid") renderFacets(body.facets);
  } catch (error) {
    column.querySelector(".hits").replaceChildren();
    const line = column.querySelector(".status");
    line.className = "status error";
    line.textContent = String(error.message || error);
  }
}

function pageQuery() {
  const p = new URLSearchParams();
  const q = $("#q").value.trim();
  if (q) p.set("q", q);
  if ($("#shopper").value) p.set("user", $("#shopper").value);
  if (state.category) p.set("category", state.category);
  if (state.brand) p.set("brand", state.brand);
  const low = $("#price-min").value, high = $("#price-max").value;
  if (low || high) p.set("price", `${low}-${high}`);
  if ($("#in-stock").checked) p.set("in_stock", "1");
  if (state.view !== "personalized") p.set("view", state.view);
  const text = p.toString();
  return text ? `?${text}` : "";
}

function readUrl() {
  const p = new URLSearchParams(location.search);
  $("#q").value = p.get("q") || "";
  state.category = p.get("category");
  state.brand = p.get("brand");
  const [low, high] = (p.get("price") || "").split("-");
  $("#price-min").value = low || "";
  $("#price-max").value = high || "";
  $("#in-stock").checked = p.get("in_stock") === "1";
  state.view = MODES.includes(p.get("view")) ? p.get("view") : "personalized";
  selectShopper(p.get("user") || "");
  showView();
}

function selectShopper(user) {
  // A shopper the list does not show (a link from elsewhere) is still searched as.
  if (user && ![...$("#shopper").options].some((o) => o.value === user)) {
    $("#shopper").append(el("option", { value: user }, user));
  }
  $("#shopper").value = user;
}

function showView() {
  document.body.dataset.view = state.view;
  for (const tab of document.querySelectorAll("#views button")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === state.view));
  }
}

async function search({ push = true } = {}) {
  if (!$("#q").value.trim()) return;
  if (push && pageQuery() !== location.search) history.pushState(null, "", `${location.pathname}${pageQuery()}`);
  renderActiveFilters();
  document.body.dataset.state = "searching";
  await Promise.all(MODES.map(searchColumn));
  // Tests and scripts wait on this counter rather than on timing.
  document.body.dataset.searches = String(Number(document.body.dataset.searches || 0) + 1);
  document.body.dataset.state = "done";
}

async function loadShoppers() {
  try {
    const response = await apiFetch("/shoppers");
    if (!response.ok) return;
    for (const shopper of await response.json()) {
      $("#shopper").append(el("option", { value: shopper.user_id }, shopper.label));
    }
  } finally {
    document.body.dataset.shoppers = "loaded";
  }
}

$("#search-form").addEventListener("submit", (event) => { event.preventDefault(); search(); });
for (const tab of document.querySelectorAll("#views button")) {
  tab.addEventListener("click", () => {
    state.view = tab.dataset.view;
    showView();
    history.replaceState(null, "", `${location.pathname}${pageQuery()}`);
  });
}
window.addEventListener("popstate", () => { readUrl(); search({ push: false }); });
$("#key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("#api-key").value);
  $("#key-form").hidden = true;
  const user = $("#shopper").value;
  $("#shopper").replaceChildren(el("option", { value: "" }, "anonymous"));
  await loadShoppers();
  selectShopper(user);
  search();
});
for (const id of ["#shopper", "#in-stock", "#price-min", "#price-max"]) {
  $(id).addEventListener("change", () => search());
}
loadShoppers().then(() => { readUrl(); search({ push: false }); });

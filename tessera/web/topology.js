// Tessera's topology page: polls GET /v2.1/os-tessera/topology and draws each host's
// NUMA cells, every pCPU (grouped by core, i.e. with its thread siblings) and its owner.
// Plain DOM, no framework, no build step. Each pCPU element carries data-host,
// data-cell, data-cpu, data-role and (when a guest holds it) data-guest and data-vcpu.
"use strict";

const API = "/v2.1/os-tessera/topology";
const POLL_MS = 1500;
const KEY = "tessera.token";

function token() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) { localStorage.setItem(KEY, decodeURIComponent(m[1])); }
  return localStorage.getItem(KEY) || "";
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "class") node.className = v; else node.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function size(kb) {
  if (kb % 1048576 === 0) return (kb / 1048576) + "G";
  if (kb % 1024 === 0) return (kb / 1024) + "M";
  return kb + "K";
}

function colour(uuid) {
  let h = 0;
  for (const ch of uuid) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return "hsl(" + h + ", 70%, 45%)";
}

function cpuNode(host, cell, cpu, guests) {
  const g = cpu.guest ? guests[cpu.guest] : null;
  const label = g ? (g.name || cpu.guest.slice(0, 8)) : cpu.role;
  const detail = cpu.role === "emulator" ? "emu" : cpu.role === "isolated" ? "idle" : "";
  const node = el("span", {
    class: "cpu role-" + cpu.role, "data-host": host.host, "data-cell": cell.id,
    "data-cpu": cpu.cpu, "data-role": cpu.role, "data-guest": cpu.guest,
    "data-vcpu": cpu.vcpu,
    title: "pCPU " + cpu.cpu + ": " + cpu.role + (g ? " of " + g.name + " (" + g.id + ")" : ""),
  }, el("b", {}, cpu.cpu), g ? (cpu.role === "pinned" ? "v" + cpu.vcpu + " " + label
    : detail + " " + label) : label);
  if (g) node.style.boxShadow = "inset 0 -3px 0 " + colour(g.id);
  return node;
}

function cellNode(host, cell, guests) {
  const cores = el("div", {class: "cores"});
  for (const core of cell.cores) {
    cores.append(el("div", {class: "core"}, ...core.map(c => cpuNode(host, cell, c, guests))));
  }
  const pages = el("ul", {class: "pages"}, ...cell.pages.map(p =>
    el("li", {"data-page-size": p.size_kb}, size(p.size_kb) + " pages: " + p.used + " used, " +
      p.free + " free of " + p.total + (p.reserved ? " (" + p.reserved + " reserved)" : ""))));
  const floating = el("div", {class: "floating"}, "floating vCPUs: " + cell.shared_vcpus_used +
    " of " + cell.shared_capacity + (cell.floating.length ? " (" + cell.floating.map(f =>
      (guests[f.guest] ? guests[f.guest].name : f.guest.slice(0, 8)) + " x" + f.vcpus).join(", ") + ")" : ""));
  const pci = cell.pci.length ? el("ul", {class: "pci"}, ...cell.pci.map(d =>
    el("li", {class: d.claimed ? "claimed" : "", "data-pci": d.address, "data-guest": d.guest},
      d.address + " " + d.vendor_id + ":" + d.product_id + " " + d.dev_type +
      (d.physnet ? " " + d.physnet : "") +
      (d.claimed ? " \u2192 " + (d.guest && guests[d.guest] ? guests[d.guest].name : "claimed") : "")))) : null;
  return el("div", {class: "cell", "data-cell": cell.id},
    el("h3", {}, "cell " + cell.id + (cell.socket !== null ? " (socket " + cell.socket + ")" : "") +
      " \u2014 memory " + cell.memory_used_mb + " / " + cell.memory_mb + " MiB"),
    cores, floating, pages, pci ? el("div", {}, "PCI devices:", pci) : null);
}

function hostNode(host) {
  const guests = Object.fromEntries(host.guests.map(g => [g.id, g]));
  const list = el("ul", {class: "guests"}, ...host.guests.map(g => {
    const sw = el("span", {class: "swatch"});
    sw.style.background = colour(g.id);
    return el("li", {"data-guest": g.id}, sw, g.name + " (" + g.flavor + ", " + g.cpu_policy +
      (g.thread_policy ? "/" + g.thread_policy : "") +
      (g.emulator_threads_policy === "isolate" ? ", emulator isolated" : "") + ", " + g.vm_state + ")");
  }));
  return el("section", {class: "host", "data-host": host.host},
    el("h2", {}, host.host, " ", el("small", {}, host.guests.length + " guests, generation " + host.generation)),
    el("div", {class: "cells"}, ...host.cells.map(c => cellNode(host, c, guests))),
    host.guests.length ? list : null);
}

async function refresh() {
  const status = document.getElementById("status");
  const t = token();
  if (!t) { status.textContent = "enter a token (e.g. admin:admin)"; return; }
  try {
    const r = await fetch(API, {headers: {"X-Auth-Token": t, "Accept": "application/json"}});
    if (!r.ok) { status.textContent = "HTTP " + r.status; return; }
    const body = await r.json();
    const main = document.getElementById("hosts");
    main.replaceChildren(...body.hosts.map(hostNode));
    main.setAttribute("data-loaded", "true");
    status.textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    status.textContent = "error: " + e;
  }
}

document.getElementById("auth").addEventListener("submit", ev => {
  ev.preventDefault();
  localStorage.setItem(KEY, document.getElementById("token").value);
  refresh();
});
document.getElementById("token").value = token();
refresh();
setInterval(refresh, POLL_MS);

// The playground page: pick who you are, talk to the bot, play Zoom, move the clock.
// Everything goes through the JSON API under /playground/api (README "Try it in your browser").
"use strict";

const { el, mrkdwn, blocks } = window.BlockKit;
const ui = { me: null, open: "C0PGGEN", tab: "home", state: null, modalKey: null };
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const res = await fetch("/playground/api/" + path, {
    method: body ? "POST" : "GET",
    headers: { "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function toast(text, bad) {
  const t = $("toast");
  t.textContent = text;
  t.className = bad ? "bad" : "";
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 5000);
}

async function act(path, body) {
  try {
    const result = await api(path, body);
    if (result.scheduler && result.scheduler.length) toast("Scheduler: " + result.scheduler.join(" · "));
    return result;
  } catch (err) {
    toast(err.message, true);
    return null;
  }
}

function people() {
  return Object.fromEntries(ui.state.people.map((p) => [p.id, p]));
}

function local(iso, withDay) {
  const opts = { timeZone: ui.state.course.timezone, hour: "numeric", minute: "2-digit" };
  if (withDay) Object.assign(opts, { weekday: "short", month: "short", day: "numeric" });
  return new Intl.DateTimeFormat("en-US", opts).format(new Date(iso));
}

function press(where) {
  return (element) =>
    act("send", { as: ui.me, action: { action_id: element.action_id, value: element.value, where } });
}

function message(m) {
  const who = people();
  const name = m.user === ui.state.bot.id ? "seminar-bot" : m.user === "USLACKBOT" ? "Slackbot" : (who[m.user] || {}).name;
  const head = el("div", "msg-head", [el("b", null, name || m.user), el("span", "app", "APP"), el("time", null, local(m.at))]);
  if (m.edited) head.append(el("span", "edited", "(edited)"));
  const body = m.blocks && m.blocks.length ? blocks(m.blocks, press(m.id), who) : mrkdwn(m.text, who);
  const box = el("div", "msg" + (m.only_for ? " ephemeral" : ""), [head, body]);
  box.dataset.id = m.id;
  for (const f of m.files || []) {
    const link = el("a", "file", "📄 " + f.name);
    link.href = "/playground/files/" + f.id;
    link.target = "_blank";
    box.append(link);
  }
  if (m.only_for) box.append(el("div", "only-you", "Only visible to you"));
  return box;
}

function conversation(id) {
  return ui.state.conversations.find((c) => c.id === id);
}

// Re-draw a part of the page only when what it shows changed, so a click is never lost to a redraw.
const drawn = {};
function changed(part, ...what) {
  const key = JSON.stringify(what);
  if (drawn[part] === key) return false;
  drawn[part] = key;
  return true;
}

function renderSidebar() {
  if (!changed("sidebar", ui.me, ui.open, ui.tab)) return;
  const channels = $("channels");
  channels.replaceChildren();
  for (const c of ui.state.conversations.filter((c) => c.kind === "channel")) {
    const item = el("li", c.id === ui.open ? "active" : "", c.name + (c.id === "C0PGTAS" ? " (TAs)" : ""));
    item.addEventListener("click", () => { ui.open = c.id; render(); });
    channels.append(item);
  }
  const dm = "D" + ui.me.slice(1);
  const app = el("li", ui.open === dm ? "active" : "", "🤖 seminar-bot");
  app.addEventListener("click", () => openApp(ui.tab));
  $("apps").replaceChildren(app);
}

function openApp(tab) {
  ui.open = "D" + ui.me.slice(1);
  ui.tab = tab;
  render();
  if (tab === "home") act("send", { as: ui.me, home: true });
}

function renderConversation() {
  const shown = [ui.me, ui.open, ui.tab, (conversation(ui.open) || {}).messages, ui.state.homes[ui.me]];
  if (!changed("conversation", ...shown)) return;
  const dm = "D" + ui.me.slice(1);
  const inApp = ui.open === dm;
  $("tabs").hidden = !inApp;
  for (const b of $("tabs").querySelectorAll("button")) b.classList.toggle("active", b.dataset.tab === ui.tab);
  const box = $("messages");
  box.replaceChildren();
  if (inApp && ui.tab === "home") {
    $("title").textContent = "seminar-bot — Home";
    const home = ui.state.homes[ui.me];
    box.append(home ? blocks(home.blocks, press("home"), people()) : el("p", "empty", "Opening the Home tab…"));
    return;
  }
  const c = conversation(ui.open);
  $("title").textContent = inApp ? "seminar-bot — Messages" : c.name;
  const visible = c.messages.filter((m) => !m.only_for || m.only_for === ui.me);
  if (!visible.length) box.append(el("p", "empty", "No messages yet."));
  for (const m of visible) box.append(message(m));
  box.scrollTop = box.scrollHeight;
}

function renderModal() {
  const stack = ui.state.modals[ui.me] || [];
  const top = stack[stack.length - 1];
  const key = top ? JSON.stringify(top) : null;
  if (key === ui.modalKey) return;
  ui.modalKey = key;
  const box = $("modal");
  box.hidden = !top;
  if (!top) return box.replaceChildren();
  const v = top.view;
  const form = el("form", "modal-card", [
    el("div", "modal-title", (v.title || {}).text || ""),
    blocks(v.blocks, press("modal"), people(), top.errors),
  ]);
  if (top.errors[""]) form.append(el("div", "bk-error", top.errors[""]));
  const cancel = el("button", "secondary", (v.close || {}).text || "Cancel");
  cancel.type = "button";
  cancel.addEventListener("click", () => act("send", { as: ui.me, close: true }));
  const buttons = el("div", "modal-buttons", [cancel]);
  if (v.submit) buttons.append(el("button", "primary", v.submit.text));
  form.append(buttons);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const typed = {};
    for (const f of form.querySelectorAll("input[name], textarea[name], select[name]")) typed[f.name] = f.value;
    act("send", { as: ui.me, submit: typed });
  });
  box.replaceChildren(form);
}

function renderZoom() {
  if (!changed("zoom", ui.me, ui.state.zoom, ui.state.now)) return;
  const who = people();
  const box = $("zoom");
  box.replaceChildren();
  for (const part of ["webinar", "discussion"]) {
    const room = ui.state.zoom.find((r) => r.part === part);
    const live = room && !room.ended;
    const status = live ? `live since ${local(room.started)}` : room ? `week ${room.week}: ended ${local(room.ended)}` : "not started";
    const card = el("div", "room" + (live ? " live" : ""), [el("b", null, part[0].toUpperCase() + part.slice(1)), el("span", "status", status)]);
    const controls = el("div", "row");
    const start = el("button", null, live ? "End" : "Start");
    start.addEventListener("click", () => act("zoom", { action: live ? "end" : "start", part }));
    controls.append(start);
    if (live) {
      const inside = room.inside.includes(ui.me);
      const move = el("button", null, inside ? "Leave" : "Join as " + who[ui.me].name.split(" ")[0]);
      move.addEventListener("click", () => act("zoom", { action: inside ? "leave" : "join", part, as: ui.me }));
      controls.append(move);
    }
    card.append(controls);
    if (room) {
      const list = el("ul", "participants");
      for (const [id, minutes] of Object.entries(room.minutes)) {
        const here = room.inside.includes(id) ? " ● in the room" : "";
        list.append(el("li", null, `${who[id].name}: ${minutes} min${here}`));
      }
      card.append(list);
    }
    box.append(card);
  }
}

function renderClock() {
  $("now").textContent = local(ui.state.now, true);
  $("course").textContent = ui.state.course.name;
  if (!changed("clock", ui.state.presets, ui.state.log)) return;
  const box = $("presets");
  box.replaceChildren();
  for (const p of ui.state.presets) {
    const b = el("button", "preset", [el("span", null, p.label), el("small", null, p.at ? local(p.at, true) : "—")]);
    b.disabled = !p.at;
    b.addEventListener("click", () => act("clock", { preset: p.name }));
    box.append(b);
  }
  const log = $("log");
  log.replaceChildren(...ui.state.log.slice(-40).reverse().map((l) => el("li", l.kind, `${local(l.at)} ${l.text}`)));
}

function renderPicker() {
  const select = $("who");
  if (select.options.length) return;
  for (const p of ui.state.people) {
    select.append(new Option(`${p.name} (${p.role === "ta" ? "TA" : p.role})`, p.id));
  }
  ui.me = ui.me || ui.state.people[0].id;
  select.value = ui.me;
}

function renderHints() {
  if (!changed("hints", ui.me)) return;
  const role = people()[ui.me].role;
  const hints = role === "ta" ? ["/seminar help", "/seminar tally", "/seminar report", "/seminar export"]
    : ["/ask What limits batch size?", "/reflect", "/standing"];
  $("hints").replaceChildren(...hints.map((h) => {
    const chip = el("button", "chip", h);
    chip.type = "button";
    chip.addEventListener("click", () => { $("command").value = h; $("command").focus(); });
    return chip;
  }));
}

function render() {
  if (!ui.state) return;
  renderPicker();
  renderSidebar();
  renderConversation();
  renderModal();
  renderZoom();
  renderClock();
  renderHints();
}

async function follow() {
  let version = -1;
  for (;;) {
    try {
      ui.state = await api(`state?after=${version}&wait=20`);
      version = ui.state.version;
      render();
    } catch (err) {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

$("who").addEventListener("change", (e) => { ui.me = e.target.value; ui.modalKey = null; render(); });
$("composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const line = $("command").value.trim();
  const m = line.match(/^(\/\S+)\s*([\s\S]*)$/);
  if (!m) return toast("Type a slash command: the bot answers /ask, /reflect, /standing and /seminar.", true);
  $("command").value = "";
  const channel = ui.open.startsWith("D") ? "D" + ui.me.slice(1) : ui.open;
  if (ui.open.startsWith("D") && ui.tab === "home") { ui.tab = "messages"; render(); }
  await act("send", { as: ui.me, command: m[1], text: m[2], channel });
});
for (const b of $("tabs").querySelectorAll("button")) b.addEventListener("click", () => openApp(b.dataset.tab));
for (const b of document.querySelectorAll("[data-minutes]")) {
  b.addEventListener("click", () => act("clock", { minutes: Number(b.dataset.minutes) }));
}
$("replay").addEventListener("click", async (e) => {
  e.target.disabled = true;
  toast("Replaying a week: webinar, discussion, questions…");
  if (await act("zoom", { action: "replay" })) toast("Replayed: the discussion just ended.");
  e.target.disabled = false;
});
$("reset").addEventListener("click", async () => {
  if (await act("reset", {})) { ui.modalKey = null; toast("A fresh demo: new database, roster and clock."); }
});
follow();

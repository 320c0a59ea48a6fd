// Block Kit and mrkdwn, rendered as DOM nodes (never innerHTML): what the bot sends, shown as Slack shows it.
(() => {
"use strict";

const EMOJI = {
  warning: "⚠️", white_check_mark: "✅", x: "❌", bow: "🙇", wave: "👋", tada: "🎉",
  hourglass: "⌛", alarm_clock: "⏰", calendar: "📅", memo: "📝", bell: "🔔", raised_hand: "✋", clipboard: "📋",
  red_circle: "🔴", large_green_circle: "🟢", large_yellow_circle: "🟡", question: "❓",
  heavy_check_mark: "✔️", exclamation: "❗", movie_camera: "🎥", books: "📚", chart_with_upwards_trend: "📈",
};

function el(tag, cls, children) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  for (const child of [].concat(children || [])) {
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// Slack escapes &, < and > as entities; these three are all it uses.
function decode(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emoji(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] || whole);
}

const INLINE = /(`[^`\n]+`)|(<[^<>\n]+>)|(\*[^*\n]+\*)|(_[^_\n]+_)|(~[^~\n]+~)/g;

function safeUrl(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

function special(token, people) {
  const body = token.slice(1, -1);
  const [target, label] = body.split("|", 2);
  if (target.startsWith("@")) {
    const person = people[target.slice(1)];
    return el("span", "mention", "@" + (person ? person.name : label || target.slice(1)));
  }
  if (target.startsWith("#")) return el("span", "mention", "#" + (label || target.slice(1)));
  if (target.startsWith("!date^")) return el("time", null, decode(label || "")); // Slack's date token: its fallback
  if (target.startsWith("!")) return el("span", "mention", "@" + (label || target.slice(1).split("^")[0]));
  const url = safeUrl(decode(target));
  if (!url) return document.createTextNode(decode(label || target));
  const link = el("a", null, decode(label || target));
  link.href = url;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  return link;
}

function inline(raw, people) {
  const text = emoji(raw); // shortcodes first: their underscores are not italics
  const out = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(document.createTextNode(emoji(decode(text.slice(last, m.index)))));
    const token = m[0];
    if (m[1]) out.push(el("code", null, decode(token.slice(1, -1))));
    else if (m[2]) out.push(special(token, people));
    else if (m[3]) out.push(el("b", null, inline(token.slice(1, -1), people)));
    else if (m[4]) out.push(el("i", null, inline(token.slice(1, -1), people)));
    else out.push(el("s", null, inline(token.slice(1, -1), people)));
    last = m.index + token.length;
  }
  if (last < text.length) out.push(document.createTextNode(emoji(decode(text.slice(last)))));
  return out;
}

// mrkdwn: ```code blocks```, > quotes, then inline styles line by line.
function mrkdwn(text, people) {
  const box = el("div", "mrkdwn");
  const parts = String(text || "").split("```");
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      box.append(el("pre", null, decode(part.replace(/^\n/, ""))));
      return;
    }
    let quote = null;
    part.split("\n").forEach((line, j, lines) => {
      if (i > 0 && j === 0 && line === "") return;
      if (line.startsWith(">")) {
        if (!quote) { quote = el("blockquote"); box.append(quote); }
        quote.append(...inline(line.slice(1).replace(/^ /, ""), people), el("br"));
        return;
      }
      quote = null;
      box.append(...inline(line, people));
      if (j < lines.length - 1) box.append(el("br"));
    });
  });
  return box;
}

function textObject(obj, people) {
  if (!obj) return el("span");
  return obj.type === "mrkdwn" ? mrkdwn(obj.text, people) : el("span", "plain", emoji(obj.text || ""));
}

function button(element, onPress) {
  const b = el("button", "bk-button" + (element.style ? " " + element.style : ""), emoji((element.text || {}).text || "button"));
  b.dataset.actionId = element.action_id || "";
  b.dataset.value = element.value || "";
  b.addEventListener("click", () => onPress(element));
  return b;
}

function element(node, onPress, people) {
  if (node.type === "button") return button(node, onPress);
  if (node.type === "image") return el("span", "bk-image", "🖼 " + (node.alt_text || "image"));
  if (node.type === "mrkdwn" || node.type === "plain_text") return textObject(node, people);
  return el("span", "bk-unknown", "[" + node.type + "]");
}

// Slack's pickers as <select>: a users_select lists the workspace's people, a static_select its options.
function picker(e, people) {
  const choices = e.type === "users_select"
    ? Object.values(people).map((p) => [p.id, p.name])
    : (e.options || []).map((o) => [o.value, (o.text || {}).text || o.value]);
  const none = el("option", null, (e.placeholder || {}).text || "Pick one");
  none.value = "";
  const options = choices.map(([value, text]) => {
    const option = el("option", null, text);
    option.value = value;
    return option;
  });
  return el("select", null, [none, ...options]);
}

function input(block, errors, people) {
  const e = block.element || {};
  const select = e.type === "users_select" || e.type === "static_select";
  const field = select ? picker(e, people || {}) : e.multiline ? el("textarea") : el("input");
  field.name = block.block_id || "";
  if (!select) field.value = e.initial_value || "";
  if (!select) field.placeholder = (e.placeholder || {}).text || "";
  if (e.max_length) field.maxLength = e.max_length;
  const label = el("label", "bk-label", ((block.label || {}).text || "") + (block.optional ? " (optional)" : ""));
  const parts = [label, field];
  if (block.hint) parts.push(el("div", "bk-hint", block.hint.text || ""));
  const error = errors && errors[block.block_id];
  if (error) parts.push(el("div", "bk-error", error));
  return el("div", "bk-input", parts);
}

// One block; `onPress(element)` is called for a button, `errors` are a modal's input errors.
function block(b, onPress, people, errors) {
  switch (b.type) {
    case "header":
      return el("div", "bk-header", emoji((b.text || {}).text || ""));
    case "section": {
      const parts = [];
      if (b.text) parts.push(textObject(b.text, people));
      if (b.fields) parts.push(el("div", "bk-fields", b.fields.map((f) => textObject(f, people))));
      const row = el("div", "bk-section", [el("div", "bk-section-body", parts)]);
      if (b.accessory) row.append(element(b.accessory, onPress, people));
      return row;
    }
    case "context":
      return el("div", "bk-context", (b.elements || []).map((e) => element(e, onPress, people)));
    case "actions":
      return el("div", "bk-actions", (b.elements || []).map((e) => element(e, onPress, people)));
    case "divider":
      return el("hr", "bk-divider");
    case "input":
      return input(b, errors, people);
    case "image":
      return el("div", "bk-image", "🖼 " + (b.alt_text || "image"));
    default:
      return el("div", "bk-unknown", "[" + b.type + " block]");
  }
}

function blocks(list, onPress, people, errors) {
  return el("div", "blocks", (list || []).map((b) => block(b, onPress, people, errors)));
}

window.BlockKit = { el, mrkdwn, blocks, textObject, emoji };
})();

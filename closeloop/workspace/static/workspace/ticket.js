/* The ticket page: live redraws, the collision warning, macros, knowledge insert and link,
 * ticking SLA badge, keyboard shortcuts. Works without it (plain forms); better with it. */
(function () {
  "use strict";
  var page = document.getElementById("ticket-page");
  if (!page) { return; }
  var ticketId = parseInt(page.dataset.ticketId, 10);
  var live = window.ClWorkspace && window.ClWorkspace.live;
  var lang = (document.documentElement.lang || "en").toLowerCase();
  var isChinese = lang.indexOf("zh") === 0;

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (error) { return ""; }
  }
  function textarea() { return document.querySelector("#reply-form textarea"); }
  function text(name, names) { return (page.dataset[name] || "").replace("{names}", names); }

  /* --- Inserting text at the cursor of the reply box. --- */
  function insert(value) {
    var box = textarea();
    if (!box || !value) { return; }
    var start = box.selectionStart || 0, end = box.selectionEnd || 0;
    var before = box.value.slice(0, start), after = box.value.slice(end);
    var glue = before && !/\n$/.test(before) ? "\n" : "";
    box.value = before + glue + value + after;
    var caret = (before + glue + value).length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", {bubbles: true}));
  }

  function warn(message) {
    var note = document.getElementById("macro-warning");
    if (!note) { return; }
    note.textContent = message;
    note.hidden = !message;
  }

  /* --- Macros: the picker fills the variables on the server, in the customer's language. --- */
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "macro-picker" && target.value) {
      var url = page.dataset.macroUrl.replace(/\/0\/$/, "/" + encodeURIComponent(target.value) + "/");
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
        .then(function (data) {
          insert(data.text);
          var open = (data.unknown || []).concat(data.missing || []);
          warn(open.length ? text("textCheck", open.map(function (n) { return "{" + n + "}"; }).join(", ")) : "");
        })
        .catch(function () { warn(page.dataset.textFailed); });
      target.value = "";
    }
    if (target.name === "is_note") {
      var form = document.getElementById("reply-form");
      if (form) { form.classList.toggle("is-note", target.checked); }
    }
  });

  /* --- Knowledge: insert into the reply or link to the ticket; both recorded as use. --- */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".insert-article, .link-article");
    if (!button) { return; }
    var body = new URLSearchParams({article: button.dataset.article, kind: button.dataset.kind});
    button.disabled = true;
    fetch(page.dataset.articleUrl, {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}
    })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
      .then(function (data) {
        if (data.kind === "inserted") { insert(data.text); }
        else if (data.link) { insert(data.link); }
        button.classList.add("is-used");
        button.setAttribute("aria-pressed", "true");
      })
      .catch(function () { button.disabled = false; warn(page.dataset.textFailed); });
  });

  /* --- SLA badge: ticks every second from data-due. --- */
  function format(seconds) {
    var sign = seconds < 0 ? "-" : "";
    seconds = Math.abs(Math.round(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600);
    var m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (d > 0) { return sign + d + (isChinese ? "天" : "d ") + h + (isChinese ? "小时" : "h"); }
    if (h > 0) { return sign + h + (isChinese ? "小时" : "h ") + m + (isChinese ? "分" : "m"); }
    return sign + m + (isChinese ? "分" : "m ") + (s < 10 ? "0" : "") + s + (isChinese ? "秒" : "s");
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("#ticket-header .sla[data-due]").forEach(function (badge) {
      var due = Date.parse(badge.dataset.due);
      if (isNaN(due)) { return; }
      var warning = badge.dataset.warning ? Date.parse(badge.dataset.warning) : NaN;
      var state = badge.dataset.breached || due <= now ? "breached" : (!isNaN(warning) && warning <= now ? "warning" : "ok");
      badge.classList.remove("sla-ok", "sla-warning", "sla-breached");
      badge.classList.add("sla-" + state);
      badge.dataset.state = state;
      badge.textContent = format((due - now) / 1000);
    });
  }
  tick();
  setInterval(tick, 1000);

  /* --- Live: redraw header, thread, history and triage when the ticket changes. --- */
  var redrawTimer = null;
  function redraw() {
    clearTimeout(redrawTimer);
    redrawTimer = setTimeout(function () {
      if (window.htmx) { window.htmx.ajax("GET", page.dataset.liveUrl, {target: "#ticket-header", swap: "none"}); }
    }, 250);
  }

  /* --- Collision warning: who else is viewing or replying. --- */
  var others = {};
  var myState = "viewing";
  var idleTimer = null;
  function showOthers() {
    var box = document.getElementById("presence");
    var viewing = [], replying = [];
    Object.keys(others).forEach(function (id) {
      (others[id].state === "composing" ? replying : viewing).push(others[id].name);
    });
    var lines = [];
    if (replying.length) { lines.push(text("textReplying", replying.join(", "))); }
    if (viewing.length) { lines.push(text("textViewing", viewing.join(", "))); }
    box.textContent = lines.join(" · ");
    box.hidden = !lines.length;
    box.classList.toggle("is-composing", replying.length > 0);
  }
  function announce(state) {
    myState = state;
    if (live) { live.send({type: "presence", ticket_id: ticketId, state: state}); }
  }

  if (live) {
    live.on("live.open", function () {
      others = {};
      showOthers();
      announce(myState === "left" ? "viewing" : myState);
    });
    live.on("ticket.changed", function (frame) { if (frame.ticket_id === ticketId) { redraw(); } });
    live.on("presence", function (frame) {
      if (frame.ticket_id !== ticketId) { return; }
      if (frame.state === "left") { delete others[frame.agent_id]; }
      else { others[frame.agent_id] = {name: frame.name, state: frame.state}; }
      showOthers();
    });
    live.send({type: "subscribe", ticket_id: ticketId});
    announce("viewing");
    document.addEventListener("input", function (event) {
      if (!event.target.closest || !event.target.closest("#reply-form")) { return; }
      if (myState !== "composing") { announce("composing"); }
      clearTimeout(idleTimer);
      idleTimer = setTimeout(function () { announce("viewing"); }, 15000);
    });
    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (event.target.id === "reply-form" && event.detail.successful) {
        clearTimeout(idleTimer);
        announce("viewing");
      }
    });
    window.addEventListener("pagehide", function () { announce("left"); });
  }

  /* --- Keyboard shortcuts (not while typing, except Esc). --- */
  var help = document.getElementById("shortcuts");
  function typing(element) {
    return element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }
  function compose(isNote) {
    var box = document.querySelector("#reply-form input[name=is_note]");
    if (box && box.checked !== isNote) { box.click(); }
    var area = textarea();
    if (area) { area.focus(); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "Escape") {
      if (help && help.open) { help.close(); return; }
      if (typing(document.activeElement)) { document.activeElement.blur(); }
      return;
    }
    if (typing(event.target) || (help && help.open)) { return; }
    var handled = true;
    switch (event.key) {
      case "r": compose(false); break;
      case "n": compose(true); break;
      case "e":
        var resolve = document.querySelector("#action-form button[data-action=resolve]");
        if (resolve) { resolve.click(); } else { handled = false; }
        break;
      case "a":
        var select = document.querySelector("#action-form select[name=assignee]");
        if (select) { select.focus(); } else { handled = false; }
        break;
      case "?": if (help && help.showModal) { help.showModal(); } break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });
})();

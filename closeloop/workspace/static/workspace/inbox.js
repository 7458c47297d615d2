/* The inbox: ticking SLA countdowns, live refresh, keyboard shortcuts. Also on the wall. */
(function () {
  "use strict";
  var ws = window.ClWorkspace = window.ClWorkspace || {};
  var lang = document.documentElement.lang || "en";
  var isChinese = lang.toLowerCase().indexOf("zh") === 0;

  /* --- SLA countdown: from data-due (and data-warning), every second, no server calls. --- */
  function format(seconds) {
    var sign = seconds < 0 ? "-" : "";
    seconds = Math.abs(Math.round(seconds));
    var days = Math.floor(seconds / 86400);
    var hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    if (days > 0) { return sign + days + (isChinese ? "天" : "d ") + hours + (isChinese ? "小时" : "h"); }
    if (hours > 0) { return sign + hours + (isChinese ? "小时" : "h ") + minutes + (isChinese ? "分" : "m"); }
    return sign + minutes + (isChinese ? "分" : "m ") + (rest < 10 ? "0" : "") + rest + (isChinese ? "秒" : "s");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".sla[data-due]").forEach(function (badge) {
      var due = Date.parse(badge.dataset.due);
      if (isNaN(due)) { return; }
      var warning = badge.dataset.warning ? Date.parse(badge.dataset.warning) : NaN;
      var state = "ok";
      if (badge.dataset.breached || due <= now) { state = "breached"; }
      else if (!isNaN(warning) && warning <= now) { state = "warning"; }
      badge.classList.remove("sla-ok", "sla-warning", "sla-breached");
      badge.classList.add("sla-" + state);
      badge.dataset.state = state;
      badge.textContent = format((due - now) / 1000);
    });
  }

  /* --- Live refresh: a ticket change re-fetches the list (debounced). --- */
  var refreshTimer = null;
  function refreshSoon() {
    var list = document.getElementById("inbox-list");
    var wall = document.getElementById("wall");
    if (!list && !wall) { return; }
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      // Not while the agent has rows selected: the list would lose the selection.
      if (list && document.querySelector("#inbox-list input[name=tickets]:checked")) { return; }
      document.body.dispatchEvent(new CustomEvent(list ? "inbox-refresh" : "wall-refresh"));
    }, 700);
  }

  /* --- Keyboard shortcuts. --- */
  var current = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#inbox-list .ticket-row")); }
  function focusRow(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
    var link = all[current].querySelector("a");
    if (link) { link.focus(); }
  }
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  function openHelp() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.showModal && !dialog.open) { dialog.showModal(); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var all = rows();
    switch (event.key) {
      case "j": focusRow(current + 1); break;
      case "k": focusRow(current - 1); break;
      case "o":
      case "Enter":
        if (current >= 0 && all[current]) { window.location.href = all[current].dataset.url; } else { return; }
        break;
      case "x":
        if (current >= 0 && all[current]) {
          var box = all[current].querySelector("input[type=checkbox]");
          if (box) { box.checked = !box.checked; }
        }
        break;
      case "/":
        var search = document.querySelector("#inbox-filters input[name=q]");
        if (!search) { return; }
        search.focus(); search.select();
        break;
      case "?": openHelp(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts-open]")) { openHelp(); }
  });
  document.addEventListener("htmx:afterSwap", function () { current = -1; tick(); });

  ws.inbox = { tick: tick, refresh: refreshSoon, format: format };
  tick();
  setInterval(tick, 1000);
  if (ws.live && (document.getElementById("inbox-list") || document.getElementById("wall"))) {
    ws.live.on("ticket.changed", refreshSoon);
    ws.live.subscribeInbox();  // remembered: sent on open and again after a reconnect
  }
})();

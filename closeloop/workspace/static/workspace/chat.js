/* The chat console (/agent/chats/): live messages and typing over /ws/agent/, unread counts,
   panes loaded on first view, Ctrl+1..9 to switch, Enter to send, Shift+Enter for a new line.
   Uses the workspace's shared connection (ClWorkspace.live, live.js). The server renders every
   message; frames only say that one arrived. */
(function () {
  "use strict";
  var root = document.getElementById("chat-console");
  if (!root) return;
  var base = root.dataset.base;
  var panes = document.getElementById("chat-panes");
  var unread = {}; // ticket number -> unread count kept across list refreshes
  var typingTimers = {};
  var typingSentAt = {};
  var loading = {}; // ticket number -> promise chain (one fetch of new messages at a time)
  var active = root.dataset.active || "";

  // ---- live connection: the workspace's shared socket (live.js) -------------------------------
  var live = window.ClWorkspace && window.ClWorkspace.live;
  if (!live) {
    // Without live.js the console still works; it only stops being live.
    live = { on: function () {}, send: function () {} };
  }

  function setConnected(isConnected) {
    var status = root.querySelector(".chat-connection");
    if (!status) return;
    status.dataset.state = isConnected ? "open" : "closed";
    status.querySelector(".when-offline").hidden = isConnected;
  }

  // ---- tabs and panes ---------------------------------------------------------------------
  function tabs() { return Array.prototype.slice.call(root.querySelectorAll(".chat-tab")); }
  function tabOf(number) { return document.getElementById("chat-tab-" + number); }
  function paneOf(number) { return document.getElementById("chat-pane-" + number); }
  function paneByTicket(ticketId) {
    return panes.querySelector('.chat-pane[data-ticket-id="' + ticketId + '"]');
  }

  function setUnread(number, count) {
    unread[number] = count;
    var tab = tabOf(number);
    if (!tab) return;
    var badge = tab.querySelector(".chat-unread");
    badge.querySelector(".count").textContent = String(count);
    badge.hidden = count === 0;
    tab.dataset.unread = String(count);
  }

  function scrollToEnd(pane, onlyIfNear) {
    var list = pane.querySelector(".chat-messages");
    if (!list) return;
    if (onlyIfNear && list.scrollHeight - list.scrollTop - list.clientHeight > 120) return;
    list.scrollTop = list.scrollHeight;
  }

  function ensurePane(tab) {
    var number = tab.dataset.number;
    var pane = paneOf(number);
    if (pane) return pane;
    pane = document.createElement("section");
    pane.className = "chat-pane is-placeholder";
    pane.id = "chat-pane-" + number;
    pane.dataset.number = number;
    pane.dataset.ticketId = tab.dataset.ticketId;
    pane.dataset.src = base + number + "/";
    pane.hidden = true;
    var empty = panes.querySelector(".chat-empty");
    if (empty) empty.remove();
    panes.appendChild(pane);
    live.send({ type: "subscribe", ticket_id: Number(tab.dataset.ticketId) });
    return pane;
  }

  function activate(number, options) {
    var tab = tabOf(number);
    if (!tab) return;
    if (active && active !== String(number)) announce(active, "left");
    active = String(number);
    announce(active, "viewing");
    var pane = ensurePane(tab);
    tabs().forEach(function (other) {
      if (other === tab) other.setAttribute("aria-current", "true");
      else other.removeAttribute("aria-current");
    });
    panes.querySelectorAll(".chat-pane").forEach(function (other) {
      other.hidden = other !== pane;
    });
    setUnread(active, 0);
    if (pane.classList.contains("is-placeholder") && window.htmx) {
      htmx.ajax("GET", pane.dataset.src, { target: pane, swap: "outerHTML" });
    } else {
      scrollToEnd(pane, false);
      if (!(options && options.keepFocus)) focusReply(pane);
    }
    var url = new URL(location.href);
    url.searchParams.set("open", active);
    history.replaceState(null, "", url);
  }

  // Narrow screens (tablets): the customer starts folded above the conversation.
  function foldCustomer(pane) {
    var details = pane.querySelector(".chat-customer");
    if (details && window.innerWidth <= 1024) details.open = false;
  }

  function focusReply(pane) {
    var box = pane.querySelector(".chat-form textarea");
    if (box) box.focus();
  }

  // Fetch the messages after the last one shown and add those not there yet.
  function loadNew(pane) {
    var number = pane.dataset.number;
    var previous = loading[number] || Promise.resolve();
    loading[number] = previous.then(function () {
      var current = paneOf(number);
      if (!current || current.classList.contains("is-placeholder")) return null;
      var items = current.querySelectorAll(".chat-message");
      var last = items.length ? items[items.length - 1].dataset.id : "0";
      return fetch(base + number + "/messages/?after=" + last, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          var list = current.querySelector(".chat-messages");
          var near = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
          var holder = document.createElement("ol");
          holder.innerHTML = html;
          Array.prototype.slice.call(holder.children).forEach(function (item) {
            if (!list.querySelector('[data-id="' + item.dataset.id + '"]')) list.appendChild(item);
          });
          if (near) scrollToEnd(current, false);
        });
    }).catch(function () { /* the next frame or a reload shows it */ });
    return loading[number];
  }

  // The pane's header (owner, status, "take") again, leaving the conversation and the reply
  // being typed as they are.
  function refreshHead(pane) {
    var number = pane.dataset.number;
    fetch(base + number + "/", { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var current = paneOf(number);
        if (html === null || !current) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector(".chat-pane-head");
        var old = current.querySelector(".chat-pane-head");
        if (!fresh || !old) return;
        old.replaceWith(fresh);
        if (window.htmx) htmx.process(fresh);
      });
  }

  var refreshTimer = null;
  function refreshList() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      fetch(base + "list/", { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("#chat-tabs");
          var current = document.getElementById("chat-tabs");
          if (!fresh || !current) return;
          current.replaceWith(fresh);
          tabs().forEach(function (tab) {
            var number = tab.dataset.number;
            if (!(number in unread)) unread[number] = Number(tab.dataset.unread || 0);
            setUnread(number, number === active ? 0 : unread[number]);
            if (number === active) tab.setAttribute("aria-current", "true");
            else tab.removeAttribute("aria-current");
            ensurePane(tab);
          });
          if (!active && tabs().length) activate(tabs()[0].dataset.number, { keepFocus: true });
        });
    }, 300);
  }

  // ---- presence: the collision warning, shared with the ticket page -------------------------
  var others = {}; // ticket number -> {agent id -> {name, state}}
  var presenceState = {}; // ticket number -> what this agent told the others
  var idleTimers = {};

  function announce(number, state) {
    var pane = paneOf(number);
    if (!pane || presenceState[number] === state) return;
    if (state === "left" && !presenceState[number]) return;
    presenceState[number] = state === "left" ? undefined : state;
    live.send({ type: "presence", ticket_id: Number(pane.dataset.ticketId), state: state });
  }

  function showPresence(number) {
    var pane = paneOf(number);
    var box = pane && pane.querySelector(".chat-presence");
    if (!box) return;
    var viewing = [], replying = [];
    var here = others[number] || {};
    Object.keys(here).forEach(function (id) {
      (here[id].state === "composing" ? replying : viewing).push(here[id].name);
    });
    var lines = [];
    if (replying.length) lines.push(root.dataset.textReplying.replace("{names}", replying.join(", ")));
    if (viewing.length) lines.push(root.dataset.textViewing.replace("{names}", viewing.join(", ")));
    box.textContent = lines.join(" · ");
    box.hidden = lines.length === 0;
    box.classList.toggle("is-composing", replying.length > 0);
  }

  live.on("presence", function (frame) {
    var pane = paneByTicket(frame.ticket_id);
    if (!pane) return;
    var number = pane.dataset.number;
    var here = others[number] = others[number] || {};
    if (frame.state === "left") delete here[frame.agent_id];
    else here[frame.agent_id] = { name: frame.name, state: frame.state };
    showPresence(number);
  });

  live.on("live.open", function () {
    // A new socket: the server forgot what this page said; say it again.
    others = {};
    presenceState = {};
    panes.querySelectorAll(".chat-pane").forEach(function (pane) { showPresence(pane.dataset.number); });
    if (active) announce(active, "viewing");
  });

  // ---- live frames ------------------------------------------------------------------------
  function subscribeAll() {
    live.send({ type: "subscribe", inbox: true });
    panes.querySelectorAll(".chat-pane").forEach(function (pane) {
      live.send({ type: "subscribe", ticket_id: Number(pane.dataset.ticketId) });
    });
  }
  // live.js repeats these subscriptions itself after a reconnect.
  subscribeAll();
  live.on("live.open", function () { setConnected(true); });
  live.on("live.closed", function () { setConnected(false); });

  live.on("ticket.changed", function (frame) {
    var pane = paneByTicket(frame.ticket_id);
    var types = frame.event_types || [];
    if (!pane) {
      var isChat = frame.message && frame.message.channel === "chat";
      if (isChat || types.indexOf("created") >= 0 || types.indexOf("assigned") >= 0 ||
          types.indexOf("bot_hold") >= 0) refreshList();
      return;
    }
    var number = pane.dataset.number;
    if (frame.message) {
      loadNew(pane);
      var fromVisitor = frame.message.author_kind === "customer";
      if (fromVisitor) showTyping(number, false);
      if (fromVisitor && (number !== active || document.hidden)) {
        setUnread(number, (unread[number] || 0) + 1);
      }
    }
    if (types.indexOf("assigned") >= 0 || types.indexOf("status_changed") >= 0) {
      refreshList();
      if (!pane.classList.contains("is-placeholder")) refreshHead(pane);
    }
  });

  function showTyping(number, isActive) {
    var pane = paneOf(number);
    var tab = tabOf(number);
    clearTimeout(typingTimers[number]);
    if (pane && pane.querySelector(".chat-typing")) pane.querySelector(".chat-typing").hidden = !isActive;
    if (tab) tab.querySelector(".chat-typing-flag").hidden = !isActive;
    if (isActive) typingTimers[number] = setTimeout(function () { showTyping(number, false); }, 8000);
  }

  live.on("typing", function (frame) {
    if (frame.who !== "visitor") return;
    var pane = paneByTicket(frame.ticket_id);
    if (pane) showTyping(pane.dataset.number, frame.active !== false);
  });

  // ---- the agent's side: typing out, Enter to send, keyboard ---------------------------------
  root.addEventListener("input", function (event) {
    if (!event.target.matches(".chat-form textarea")) return;
    var pane = event.target.closest(".chat-pane");
    var number = pane.dataset.number;
    announce(number, "composing");
    clearTimeout(idleTimers[number]);
    idleTimers[number] = setTimeout(function () { announce(number, "viewing"); }, 15000);
    var now = Date.now();
    if (now - (typingSentAt[number] || 0) < 2000) return;
    typingSentAt[number] = now;
    live.send({ type: "typing", ticket_id: Number(pane.dataset.ticketId), active: true });
  });

  root.addEventListener("keydown", function (event) {
    if (!event.target.matches(".chat-form textarea")) return;
    // Enter sends; Shift+Enter is a new line; Enter while an input method composes is not ours.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    var form = event.target.form;
    if (event.target.value.trim() === "") return;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });

  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.altKey) || event.shiftKey || event.metaKey) return;
    if (!/^[1-9]$/.test(event.key)) return;
    var all = tabs();
    var tab = all[Number(event.key) - 1];
    if (!tab) return;
    event.preventDefault();
    activate(tab.dataset.number);
  });

  root.addEventListener("click", function (event) {
    var tab = event.target.closest(".chat-tab");
    if (!tab || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    activate(tab.dataset.number);
  });

  // htmx swaps the 400 (form with its error) and 409 (pane with a notice) answers: live.js.

  document.body.addEventListener("cl-chat-sent", function (event) {
    var pane = event.target.closest && event.target.closest(".chat-pane");
    if (!pane) return;
    typingSentAt[pane.dataset.number] = 0;
    live.send({ type: "typing", ticket_id: Number(pane.dataset.ticketId), active: false });
    clearTimeout(idleTimers[pane.dataset.number]);
    announce(pane.dataset.number, "viewing");
    loadNew(pane);
  });

  document.body.addEventListener("cl-chats-changed", refreshList);

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.closest || target.closest(".chat-customer")) return;
    // After an outerHTML swap the target is the detached old element: find the new one by id.
    var pane = target.id ? document.getElementById(target.id) : null;
    pane = pane && pane.closest ? pane.closest(".chat-pane") : target.closest(".chat-pane");
    if (!pane) return;
    pane.hidden = pane.dataset.number !== active;
    if (target.id === pane.id) foldCustomer(pane);
    showPresence(pane.dataset.number);
    if (!pane.hidden) {
      scrollToEnd(pane, false);
      focusReply(pane);
    }
  });

  // ---- start --------------------------------------------------------------------------------
  tabs().forEach(function (tab) {
    var number = tab.dataset.number;
    setUnread(number, number === active ? 0 : Number(tab.dataset.unread || 0));
  });
  window.addEventListener("pagehide", function () { if (active) announce(active, "left"); });
  panes.querySelectorAll(".chat-pane").forEach(foldCustomer);
  if (active) {
    announce(active, "viewing");
    var first = paneOf(active);
    if (first) {
      scrollToEnd(first, false);
      if (!first.classList.contains("is-placeholder")) focusReply(first);
      else activate(active);
    }
  }
})();

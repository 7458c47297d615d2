/*
 * Closeloop chat widget. Embed with:
 *   <script src="(your Closeloop address)/chat/widget.js" data-widget="KEY"
 *           data-lang="zh-Hans|en" data-name="optional" async></script>
 * A page whose visitor is signed in may add data-email / data-phone with
 * data-identity-signature = hex HMAC-SHA256(widget identity secret, email + "\n" + phone),
 * computed by its server: signed details identify the customer across channels.
 * Plain JavaScript, no dependencies. Protocol: docs/channels.md (web chat).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-widget")) { return; }
  var KEY = script.getAttribute("data-widget");
  var LANG = (script.getAttribute("data-lang") || navigator.language || "en").toLowerCase()
    .indexOf("zh") === 0 ? "zh" : "en";
  var ORIGIN = new URL(script.src, document.baseURI);
  var SOCKET_URL = (ORIGIN.protocol === "https:" ? "wss:" : "ws:") + "//" + ORIGIN.host +
    "/ws/chat/?widget=" + encodeURIComponent(KEY);
  var STORE = "closeloop.chat." + KEY;
  var COOKIE = "closeloop_chat_" + KEY.replace(/[^A-Za-z0-9_]/g, "_");

  var TEXT = {
    en: {
      title: "Chat with us", open: "Chat", close: "Close", send: "Send",
      placeholder: "Type your message…", online: "We are online", offline: "We are away",
      connecting: "Connecting…", typing: "is typing…", agent: "Support",
      leaveIntro: "We are not online now. Leave a message and we will answer by email.",
      name: "Your name", email: "Email", message: "Message", leave: "Send message",
      left: "Thank you, we have your message and will answer soon.",
      failed: "Not sent", needEmail: "Please give your email address.",
      yes: "Yes, it helped", no: "No", none: "None of these", choose: "Choose an answer",
      rated: "Thank you for your rating!", rateFailed: "Your rating was not sent. Try again."
    },
    zh: {
      title: "在线客服", open: "咨询", close: "关闭", send: "发送",
      placeholder: "请输入消息…", online: "客服在线", offline: "客服暂时不在线",
      connecting: "正在连接…", typing: "正在输入…", agent: "客服",
      leaveIntro: "客服现在不在线。请留言，我们会通过邮件回复您。",
      name: "您的姓名", email: "邮箱", message: "留言内容", leave: "提交留言",
      left: "谢谢，我们已收到您的留言，会尽快回复。",
      failed: "发送失败", needEmail: "请填写邮箱地址。",
      yes: "是，解决了", no: "否", none: "都不是", choose: "请选择",
      rated: "感谢您的评价！", rateFailed: "评价未能提交，请重试。"
    }
  }[LANG];

  // --- storage: localStorage, with the token also in a first-party cookie ------------------
  function load() {
    var state = {};
    try { state = JSON.parse(window.localStorage.getItem(STORE) || "{}") || {}; } catch (e) {}
    if (!state.token) {
      var match = document.cookie.match(new RegExp("(?:^|; )" + COOKIE + "=([^;]*)"));
      if (match) { state.token = decodeURIComponent(match[1]); }
    }
    state.pending = state.pending || [];
    state.lastSeenId = state.lastSeenId || 0;
    return state;
  }
  function save() {
    try { window.localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) {}
    if (state.token) {
      document.cookie = COOKIE + "=" + encodeURIComponent(state.token) +
        "; path=/; max-age=31536000; SameSite=Lax";
    }
  }
  var state = load();

  // --- the DOM, in a shadow root so the host page's CSS and ours never meet ----------------
  var host = document.createElement("div");
  host.setAttribute("data-closeloop-chat", "");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var CSS = [
    ":host{all:initial}",
    ".cl{font:14px/1.4 system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;",
    "color:#1f2933;position:fixed;right:20px;bottom:20px;z-index:2147483000}",
    ".cl *{box-sizing:border-box}",
    ".cl-launch{background:#2563eb;color:#fff;border:0;border-radius:24px;padding:12px 18px;",
    "font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}",
    ".cl-panel{display:none;flex-direction:column;width:340px;max-width:calc(100vw - 40px);",
    "height:480px;max-height:calc(100vh - 40px);background:#fff;border-radius:12px;",
    "box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden}",
    ".cl.open .cl-panel{display:flex}.cl.open .cl-launch{display:none}",
    ".cl-head{background:#2563eb;color:#fff;padding:10px 14px;display:flex;align-items:center}",
    ".cl-head b{flex:1}.cl-status{font-size:12px;opacity:.85;margin-right:10px}",
    ".cl-x{background:none;border:0;color:#fff;font-size:18px;cursor:pointer}",
    ".cl-log{flex:1;overflow-y:auto;padding:12px;background:#f5f7fa}",
    ".cl-msg{max-width:80%;margin:4px 0;padding:8px 10px;border-radius:10px;",
    "white-space:pre-wrap;word-wrap:break-word}",
    ".cl-visitor{margin-left:auto;background:#2563eb;color:#fff}",
    ".cl-agent,.cl-bot,.cl-system{background:#fff;border:1px solid #e1e5ea}",
    ".cl-who{display:block;font-size:11px;color:#64748b}",
    ".cl-pending{opacity:.6}.cl-failed{background:#fee2e2;color:#991b1b}",
    ".cl-note{font-size:12px;color:#64748b;text-align:center;margin:6px 0}",
    ".cl-typing{font-size:12px;color:#64748b;padding:0 12px;height:18px}",
    ".cl-form{display:flex;border-top:1px solid #e1e5ea}",
    ".cl-form textarea{flex:1;border:0;padding:10px;font:inherit;resize:none;height:56px}",
    ".cl-form button,.cl-leave button{background:#2563eb;color:#fff;border:0;padding:0 16px;",
    "font:inherit;cursor:pointer}",
    ".cl-leave{display:none;flex-direction:column;gap:8px;padding:12px;overflow-y:auto}",
    ".cl-leave input,.cl-leave textarea{border:1px solid #cbd2d9;border-radius:6px;",
    "padding:8px;font:inherit}.cl-leave textarea{height:96px}",
    ".cl-leave button{padding:10px;border-radius:6px}",
    ".cl.away .cl-leave{display:flex}.cl.away .cl-log,.cl.away .cl-form,",
    ".cl.away .cl-typing{display:none}",
    ".cl-choices{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 8px}",
    ".cl-choices button{background:#fff;color:#1d4ed8;border:1px solid #1d4ed8;",
    "border-radius:14px;padding:5px 10px;font:inherit;cursor:pointer;text-align:left}",
    ".cl-choices button:hover,.cl-choices button:focus{background:#1d4ed8;color:#fff;",
    "outline:2px solid #1e3a8a;outline-offset:1px}"
  ].join("");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }
  var style = el("style"); style.textContent = CSS; root.appendChild(style);
  var box = el("div", "cl");
  var launch = el("button", "cl-launch", TEXT.open);
  var panel = el("div", "cl-panel");
  var head = el("div", "cl-head");
  head.appendChild(el("b", "", TEXT.title));
  var status = el("span", "cl-status", TEXT.connecting); head.appendChild(status);
  var closeButton = el("button", "cl-x", "×"); closeButton.title = TEXT.close;
  head.appendChild(closeButton);
  var log = el("div", "cl-log");
  var typing = el("div", "cl-typing");
  var form = el("form", "cl-form");
  var input = el("textarea"); input.placeholder = TEXT.placeholder;
  var sendButton = el("button", "", TEXT.send); sendButton.type = "submit";
  form.appendChild(input); form.appendChild(sendButton);
  var leave = el("form", "cl-leave");
  leave.appendChild(el("p", "", TEXT.leaveIntro));
  var leaveName = el("input"); leaveName.placeholder = TEXT.name;
  var leaveEmail = el("input"); leaveEmail.placeholder = TEXT.email; leaveEmail.type = "email";
  var leaveBody = el("textarea"); leaveBody.placeholder = TEXT.message;
  var leaveButton = el("button", "", TEXT.leave); leaveButton.type = "submit";
  [leaveName, leaveEmail, leaveBody, leaveButton].forEach(function (n) { leave.appendChild(n); });
  leaveEmail.value = script.getAttribute("data-email") || "";
  leaveName.value = script.getAttribute("data-name") || "";
  [head, log, typing, form, leave].forEach(function (n) { panel.appendChild(n); });
  box.appendChild(launch); box.appendChild(panel); root.appendChild(box);
  function mount() { document.body.appendChild(host); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }

  launch.addEventListener("click", function () { box.classList.add("open"); input.focus(); });
  closeButton.addEventListener("click", function () { box.classList.remove("open"); });

  // --- messages ---------------------------------------------------------------------------
  var shown = {};  // message id -> node: nothing is shown twice
  var pendingNodes = {};  // client_id -> node of a message not yet acknowledged

  function note(text) { log.appendChild(el("div", "cl-note", text)); scroll(); }
  function scroll() { log.scrollTop = log.scrollHeight; }
  function bubble(author, body, name) {
    var node = el("div", "cl-msg cl-" + author);
    if (author !== "visitor") { node.appendChild(el("span", "cl-who", name || TEXT.agent)); }
    node.appendChild(document.createTextNode(body));
    log.appendChild(node); scroll();
    return node;
  }
  // The bot's choices and its "did this help?" as buttons that send the reply text the bot
  // reads (the same words a WeChat or app customer types); only the latest set is live.
  var liveChoices = null;
  function dropChoices() {
    if (liveChoices && liveChoices.parentNode) { liveChoices.parentNode.removeChild(liveChoices); }
    liveChoices = null;
  }
  function botButtons(bot) {
    var options = [];
    if (bot.kind === "choices") {
      (bot.choices || []).forEach(function (choice) {
        options.push([choice.reply + ". " + choice.title, choice.reply]);
      });
      if (bot.none) { options.push([TEXT.none, bot.none]); }
    } else if (bot.kind === "answer" && bot.feedback && bot.feedback.length === 2) {
      options.push([TEXT.yes, bot.feedback[0]]); options.push([TEXT.no, bot.feedback[1]]);
    }
    if (!options.length) { return; }
    var group = el("div", "cl-choices");
    group.setAttribute("role", "group"); group.setAttribute("aria-label", TEXT.choose);
    options.forEach(function (option) {
      var button = el("button", "", option[0]); button.type = "button";
      button.addEventListener("click", function () { dropChoices(); sendText(option[1]); });
      group.appendChild(button);
    });
    log.appendChild(group); scroll();
    liveChoices = group;
  }
  // A satisfaction survey: one button per score; the answer is posted to the survey's own
  // signed link (no cookies), and the buttons give way to a thank-you.
  function surveyButtons(survey) {
    var group = el("div", "cl-choices cl-survey");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", survey.question || TEXT.choose);
    for (var score = survey.min; score <= survey.max; score++) {
      (function (value) {
        var button = el("button", "", String(value)); button.type = "button";
        if (value === survey.min && survey.low) { button.title = value + " = " + survey.low; }
        if (value === survey.max && survey.high) { button.title = value + " = " + survey.high; }
        button.setAttribute("aria-label", button.title || String(value));
        button.addEventListener("click", function () { rate(survey, value, group); });
        group.appendChild(button);
      })(score);
    }
    log.appendChild(group); scroll();
  }
  function rate(survey, score, group) {
    var body = new URLSearchParams(); body.set("score", String(score));
    fetch(survey.url, { method: "POST", body: body, headers: { Accept: "application/json" },
                        credentials: "omit" })
      .then(function (answer) {
        if (!answer.ok) { throw new Error(String(answer.status)); }
        group.textContent = ""; group.setAttribute("role", "status");
        group.appendChild(el("span", "cl-note", TEXT.rated));
      })
      .catch(function () { note(TEXT.rateFailed); });
  }
  function showMessage(frame) {
    if (shown[frame.id]) { return; }
    var node = frame.client_id && pendingNodes[frame.client_id];
    if (node) {
      node.classList.remove("cl-pending"); delete pendingNodes[frame.client_id];
    } else {
      dropChoices();
      node = bubble(frame.author, frame.body, frame.name);
      if (frame.author === "bot" && frame.bot) { botButtons(frame.bot); }
      if (frame.author === "system" && frame.survey) { surveyButtons(frame.survey); }
    }
    shown[frame.id] = node;
    if (frame.author !== "visitor" && frame.id > state.lastSeenId) {
      state.lastSeenId = frame.id; save();
    }
    if (frame.author !== "visitor") { typing.textContent = ""; }
  }
  function newClientId() {
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  // --- the socket: hello on open, resend what was not acknowledged, backoff on drops -------
  var socket = null, ready = false, attempts = 0, pingTimer = null, typingUntil = 0;

  function send(frame) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function connect() {
    socket = new WebSocket(SOCKET_URL);
    socket.onopen = function () {
      attempts = 0;
      var hello = { type: "hello", widget: KEY, last_seen_id: state.lastSeenId || null };
      if (state.token) { hello.token = state.token; }
      var email = script.getAttribute("data-email"), name = script.getAttribute("data-name");
      var phone = script.getAttribute("data-phone");
      var signature = script.getAttribute("data-identity-signature");
      if (email) { hello.email = email; }
      if (phone) { hello.phone = phone; }
      if (name) { hello.name = name; }
      if (signature) { hello.identity_signature = signature; }
      send(hello);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, 25000);
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function (event) {
      ready = false; clearInterval(pingTimer); status.textContent = TEXT.connecting;
      if (event.code === 4403) { status.textContent = ""; return; }  // not allowed here
      if (event.code === 4401) { state.token = null; state.lastSeenId = 0; save(); }
      var delay = Math.min(30000, 1000 * Math.pow(2, attempts++)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }
  function handle(frame) {
    if (frame.type === "welcome") {
      state.token = frame.token; save(); ready = true;
      setOnline(frame.online, frame);
      (frame.history || []).forEach(showMessage);
      // Resend, in order, what the last socket never acknowledged: the server stores each
      // client_id once, so a message that did arrive is only acknowledged again.
      state.pending.forEach(function (item) {
        send({ type: item.type || "message", client_id: item.client_id, body: item.body,
               name: item.name, email: item.email });
      });
    } else if (frame.type === "ack") {
      state.pending = state.pending.filter(function (p) { return p.client_id !== frame.client_id; });
      save();
      var node = pendingNodes[frame.client_id];
      if (node) { node.classList.remove("cl-pending"); delete pendingNodes[frame.client_id]; }
      if (node || !shown[frame.id]) { shown[frame.id] = node || true; }
    } else if (frame.type === "message") {
      showMessage(frame);
    } else if (frame.type === "typing") {
      typing.textContent = frame.active ? (frame.name || TEXT.agent) + " " + TEXT.typing : "";
      if (frame.active) {
        setTimeout(function () { typing.textContent = ""; }, 5000);
      }
    } else if (frame.type === "error") {
      if (frame.client_id) {
        state.pending = state.pending.filter(function (p) { return p.client_id !== frame.client_id; });
        save();
        var failed = pendingNodes[frame.client_id];
        if (failed) { failed.className = "cl-msg cl-visitor cl-failed"; failed.title = frame.message; }
      }
    }
  }
  function setOnline(online, frame) {
    status.textContent = online ? TEXT.online : TEXT.offline;
    box.classList.toggle("away", !online);
    if (!log.childNodes.length) {
      var text = online ? frame.greeting : frame.offline_message;
      if (text) { note(text); }
    }
  }

  function sendText(body) {
    var item = { type: "message", client_id: newClientId(), body: body };
    state.pending.push(item); save();
    var node = bubble("visitor", body); node.classList.add("cl-pending");
    pendingNodes[item.client_id] = node;
    if (ready) { send(item); }
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) { return; }
    input.value = "";
    dropChoices();
    sendText(body);
    send({ type: "typing", active: false });
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault(); form.requestSubmit ? form.requestSubmit() : sendButton.click();
    }
  });
  input.addEventListener("input", function () {
    var now = Date.now();
    if (ready && now > typingUntil) { typingUntil = now + 1500; send({ type: "typing", active: true }); }
  });
  leave.addEventListener("submit", function (event) {
    event.preventDefault();
    var email = leaveEmail.value.trim(), body = leaveBody.value.trim();
    if (!email) { leaveEmail.focus(); leaveEmail.placeholder = TEXT.needEmail; return; }
    if (!body) { leaveBody.focus(); return; }
    var item = { type: "leave", client_id: newClientId(), body: body, email: email,
                 name: leaveName.value.trim() };
    state.pending.push(item); save();
    if (ready) { send(item); }
    leave.textContent = "";
    leave.appendChild(el("p", "", TEXT.left));
  });

  connect();
})();

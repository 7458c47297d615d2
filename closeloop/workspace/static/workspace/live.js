/* The workspace's one connection to /ws/agent/, shared by every page.
 *
 *   ClWorkspace.live.on("ticket.changed", function (frame) { ... });
 *   ClWorkspace.live.send({type: "subscribe", ticket_id: 42});
 *   ClWorkspace.live.subscribeInbox();
 *
 * The socket opens on the first on()/send() and reconnects with backoff (1 s … 30 s); the
 * subscriptions made through send() are repeated after a reconnect. No page needs it to work:
 * without a socket the pages still refresh on their own (the wall polls, the inbox on demand).
 */
(function () {
  "use strict";
  var ws = window.ClWorkspace = window.ClWorkspace || {};
  var handlers = {};
  var subscriptions = {};
  var socket = null;
  var delay = 1000;
  var pingTimer = null;

  function url() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/agent/";
  }

  function dispatch(frame) {
    (handlers[frame.type] || []).concat(handlers["*"] || []).forEach(function (handler) {
      try { handler(frame); } catch (error) { console.error(error); }
    });
  }

  function connect() {
    if (socket || !window.WebSocket) { return; }
    socket = new WebSocket(url());
    socket.onopen = function () {
      delay = 1000;
      document.documentElement.dataset.live = "on";
      Object.keys(subscriptions).forEach(function (key) { socket.send(subscriptions[key]); });
      pingTimer = setInterval(function () { raw(JSON.stringify({type: "ping"})); }, 25000);
      dispatch({type: "live.open"});
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      if (frame && frame.type) { dispatch(frame); }
    };
    socket.onclose = function (event) {
      socket = null;
      clearInterval(pingTimer);
      document.documentElement.dataset.live = "off";
      dispatch({type: "live.closed", code: event.code});
      if (event.code === 4403 || event.code === 4401) { return; }  // not allowed: stay closed
      var wait = Math.min(delay, 30000) * (0.75 + Math.random() / 2);
      delay = Math.min(delay * 2, 30000);
      setTimeout(connect, wait);
    };
  }

  function raw(text) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(text); }
  }

  ws.live = {
    /** Call handler(frame) for every server frame of this type ("*": every frame). */
    on: function (type, handler) {
      (handlers[type] = handlers[type] || []).push(handler);
      connect();
    },
    /** Send a frame now (if open); subscribe/unsubscribe frames are remembered for reconnects. */
    send: function (frame) {
      var text = JSON.stringify(frame);
      var key = frame.inbox ? "inbox" : "ticket:" + frame.ticket_id;
      if (frame.type === "subscribe") { subscriptions[key] = text; }
      if (frame.type === "unsubscribe") { delete subscriptions[key]; }
      connect();
      raw(text);
    },
    subscribeInbox: function () { ws.live.send({type: "subscribe", inbox: true}); },
    isOpen: function () { return !!socket && socket.readyState === WebSocket.OPEN; }
  };

  // htmx does not swap 4xx answers by default; our forms answer 400/429 with their errors.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 409 || status === 429) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

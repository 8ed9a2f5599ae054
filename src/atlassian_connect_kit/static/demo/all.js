/*
 * A small stand-in for Atlassian's all.js, for the demo host page only.
 *
 * It covers what the kit's pages use: AP.context.getToken, AP.resize, AP.sizeToParent,
 * AP.navigator.go / reload, AP.user.getCurrentUser / getTimeZone / getLocale, AP.history
 * (getState, pushState, replaceState, popState, back, forward, go) and a dashboard item's
 * AP.jira.DashboardItem.onDashboardItemEdit (the host's "Configure" button). Calls travel to the host page
 * with postMessage, as they do inside Jira.
 *
 * AP.history takes a string (the page anchor, as in Jira) or an object with `state`, `title`,
 * `hash` and `query`; the host keeps `query` in its own URL as `ac.`-prefixed parameters, which
 * is how a page module's state survives a reload, a bookmark or a shared link.
 *
 * The script tag's `data-options` work as in all.js: `sizeToParent:true` makes the frame fill
 * the host's content area and keeps it there (the page scrolls inside itself, so a page that
 * grows, while it prints for one, never stretches its frame); otherwise the frame follows the
 * page's height unless `resize:false`.
 */
(function () {
  "use strict";
  var pending = {};
  var nextId = 1;
  var popStateListeners = [];
  var editListeners = [];
  var options = scriptOptions(document.currentScript);

  // `data-options="name:value;name:value"` of the tag that loaded this script.
  function scriptOptions(script) {
    var found = {};
    var text = script ? script.getAttribute("data-options") || "" : "";
    text.split(";").forEach(function (pair) {
      var at = pair.indexOf(":");
      if (at > 0) { found[pair.slice(0, at).trim()] = pair.slice(at + 1).trim(); }
    });
    return found;
  }

  function call(method, args, callback) {
    var id = nextId++;
    if (callback) { pending[id] = callback; }
    window.parent.postMessage({ type: "ack-ap", id: id, method: method, args: args || [] }, "*");
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || event.source !== window.parent) { return; }
    if (data.type === "ack-ap-event" && data.name === "jira_dashboard_item_edit") {
      editListeners.forEach(function (listener) { listener(); });
      return;
    }
    if (data.type === "ack-ap-event" && data.name === "history.popstate") {
      popStateListeners.forEach(function (listener) { listener(data.data); });
      return;
    }
    if (data.type !== "ack-ap-reply" || !pending[data.id]) { return; }
    var callback = pending[data.id];
    delete pending[data.id];
    callback(data.result);
  });

  function sizeNow() {
    var height = Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);
    call("resize", ["100%", height + "px"]);
  }

  // A history entry as the host keeps it: an anchor string, or the object form's fields.
  function historyEntry(newState) {
    if (newState === null || typeof newState !== "object") {
      return { hash: newState === undefined || newState === null ? "" : String(newState) };
    }
    var query = {};
    Object.keys(newState.query || {}).forEach(function (name) {
      var value = newState.query[name];
      query[name] = value === undefined || value === null ? "" : String(value);
    });
    return {
      state: newState.state === undefined ? null : newState.state,
      title: newState.title === undefined ? null : String(newState.title),
      hash: newState.hash === undefined ? null : String(newState.hash),
      query: query
    };
  }

  window.AP = {
    context: {
      getToken: function (callback) { call("getToken", [], callback); }
    },
    resize: function (width, height) {
      if (width === undefined && height === undefined) { sizeNow(); return; }
      call("resize", [width || "100%", height || "auto"]);
    },
    sizeToParent: function () { call("sizeToParent", []); },
    navigator: {
      go: function (target, context) { call("navigate", [target, context || {}]); },
      reload: function () { call("reload", []); }
    },
    user: {
      getCurrentUser: function (callback) { call("getCurrentUser", [], callback); },
      getTimeZone: function (callback) { call("getTimeZone", [], callback); },
      getLocale: function (callback) { call("getLocale", [], callback); }
    },
    jira: {
      DashboardItem: {
        onDashboardItemEdit: function (listener) {
          if (typeof listener === "function") { editListeners.push(listener); }
        }
      },
      setDashboardItemTitle: function (title) { call("setDashboardItemTitle", [String(title)]); }
    },
    history: {
      // getState(callback) answers the anchor; getState("all", callback) the whole entry:
      // {state, title, hash, query}.
      getState: function (type, callback) {
        if (typeof type === "function") { callback = type; type = "hash"; }
        call("historyGetState", [type === "all" ? "all" : "hash"], callback);
      },
      pushState: function (newState) { call("historyChange", ["push", historyEntry(newState)]); },
      replaceState: function (newState) { call("historyChange", ["replace", historyEntry(newState)]); },
      popState: function (listener) {
        if (typeof listener === "function") { popStateListeners.push(listener); }
      },
      back: function () { call("historyGo", [-1]); },
      forward: function () { call("historyGo", [1]); },
      go: function (delta) { call("historyGo", [Number(delta) || 0]); }
    }
  };

  if (options.sizeToParent === "true") {
    // The host keeps the frame filling its content area, as the window resizes too.
    call("sizeToParent", [true]);
  } else if (options.resize !== "false" && window.ResizeObserver) {
    // Follow the page's height as it changes.
    document.addEventListener("DOMContentLoaded", function () {
      new ResizeObserver(sizeNow).observe(document.documentElement);
    });
  }
}());

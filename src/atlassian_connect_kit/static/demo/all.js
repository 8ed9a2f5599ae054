/*
 * A small stand-in for Atlassian's all.js, for the demo host page only.
 *
 * It covers what the kit's pages use: AP.context.getToken, AP.resize, AP.sizeToParent,
 * AP.navigator.go / reload and AP.user.getCurrentUser. Calls travel to the host page with
 * postMessage, as they do inside Jira.
 */
(function () {
  "use strict";
  var pending = {};
  var nextId = 1;

  function call(method, args, callback) {
    var id = nextId++;
    if (callback) { pending[id] = callback; }
    window.parent.postMessage({ type: "ack-ap", id: id, method: method, args: args || [] }, "*");
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "ack-ap-reply" || !pending[data.id]) { return; }
    var callback = pending[data.id];
    delete pending[data.id];
    callback(data.result);
  });

  function sizeNow() {
    var height = Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);
    call("resize", ["100%", height + "px"]);
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
      getCurrentUser: function (callback) { call("getCurrentUser", [], callback); }
    }
  };

  // Like all.js with data-options="resize:true": follow the page's height as it changes.
  if (window.ResizeObserver) {
    document.addEventListener("DOMContentLoaded", function () {
      new ResizeObserver(sizeNow).observe(document.documentElement);
    });
  }
}());

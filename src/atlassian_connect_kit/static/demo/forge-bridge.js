/*
 * A small stand-in for the script Forge injects into a Custom UI page, for the demo host only.
 *
 * It defines window.__bridge.callBridge(name, payload), which the page's own @forge/bridge calls
 * (view.getContext, invokeRemote, router.navigate, router.reload, ...). Calls travel to the host
 * page with postMessage, as they do inside Jira; the host page (forge-host.js) answers them,
 * invoking the app's remote through the demo host's server.
 */
(function () {
  "use strict";
  var pending = {};
  var nextId = 1;

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || event.source !== window.parent || data.type !== "ack-forge-reply") { return; }
    var call = pending[data.id];
    if (!call) { return; }
    delete pending[data.id];
    if (data.error) {
      call.reject(new Error(data.error));
    } else {
      call.resolve(data.result);
    }
  });

  window.__bridge = {
    callBridge: function (name, payload) {
      return new Promise(function (resolve, reject) {
        var id = nextId++;
        pending[id] = { resolve: resolve, reject: reject };
        try {
          window.parent.postMessage({ type: "ack-forge", id: id, name: name, payload: payload }, "*");
        } catch (error) {
          // A payload with functions (event listeners) cannot travel: the demo has no events.
          delete pending[id];
          reject(new Error("the demo host does not support " + name));
        }
      });
    }
  };
}());

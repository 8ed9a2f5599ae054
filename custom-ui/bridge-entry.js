// The page's one handle on @forge/bridge. The bridge connects to the Forge host as soon as it
// is evaluated and throws where there is none (a Connect iframe, a page opened directly), so it
// is required lazily: the page's transport adapter asks for it only inside Forge.
window.smartTimesheetForgeBridge = function () {
  const bridge = require("@forge/bridge");
  return { invokeRemote: bridge.invokeRemote, view: bridge.view, router: bridge.router };
};

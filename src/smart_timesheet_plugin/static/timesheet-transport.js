/*
 * Smart Timesheet: how the page reaches the app and the product page around it.
 *
 * The same page runs in two hosts. In a Connect iframe it talks to Jira through AP (all.js) and
 * calls the app with context tokens; that transport lives in timesheet.js. In a Forge Custom UI
 * page the Forge host injects its bridge (window.__bridge) and the folder ships @forge/bridge
 * (forge-bridge.js): the page then calls the same URLs through `invokeRemote`, which reaches the
 * app with a Forge Invocation Token and the viewer's token, and learns the project, the viewer's
 * zone and locale and the site from `view.getContext()`.
 *
 * `SmartTimesheetTransport.forge()` answers the Forge transport, or null outside Forge, and
 * timesheet.js keeps its Connect transport in that case. The Forge transport offers:
 *   host:       the methods timesheet.js asks of its host (see "The host" there);
 *   page():     {projectKey, siteUrl, timeZone, locale} once host.ready() has resolved;
 *   fetchJSON(url, signal): the answer's JSON body; a failure rejects with {status, body,
 *               retryAfter} (status 0 when the bridge itself failed);
 *   sendJSON(method, url, body): the same for a POST, PUT or DELETE carrying a JSON body;
 *   download(url): fetches an export (JSON {filename, mediaType, content: base64}) and saves it;
 *               an answer that is no such file rejects with {status: 0, unreadable: true}.
 */
(function () {
  "use strict";

  // The bundled @forge/bridge, or null where there is no Forge host to connect to.
  function forgeBridge() {
    const host = window.__bridge;
    if (!host || typeof host.callBridge !== "function") {
      return null;
    }
    if (typeof window.smartTimesheetForgeBridge !== "function") {
      return null;
    }
    try {
      return window.smartTimesheetForgeBridge();
    } catch (error) {
      return null;
    }
  }

  function headerValue(headers, name) {
    if (!headers || typeof headers !== "object") {
      return null;
    }
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        const value = headers[key];
        return Array.isArray(value) ? value.join(",") : value;
      }
    }
    return null;
  }

  function parsedBody(body) {
    if (typeof body !== "string") {
      return body === undefined ? null : body;
    }
    try {
      return JSON.parse(body);
    } catch (error) {
      return null;
    }
  }

  // invokeRemote answers with the remote's JSON; @forge/bridge passes the platform's answer on
  // as an object that may wrap it as {body, headers, status}, and a non-2xx answer may come back
  // in that shape instead of a rejection. Both become {ok, status, body, headers}.
  function unwrap(answer) {
    const wrapped =
      answer && typeof answer === "object" && "body" in answer && ("headers" in answer || "status" in answer);
    if (!wrapped) {
      return { ok: true, status: 200, body: answer === undefined ? null : answer, headers: {} };
    }
    const status = typeof answer.status === "number" ? answer.status : 200;
    return {
      ok: status >= 200 && status < 300,
      status,
      body: parsedBody(answer.body),
      headers: answer.headers || {},
    };
  }

  function failure(status, body, headers) {
    const retryAfter = Number(headerValue(headers, "retry-after"));
    return {
      status,
      body: body && typeof body === "object" ? body : null,
      retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    };
  }

  function aborted() {
    return new DOMException("The request was aborted.", "AbortError");
  }

  function forgeTransport(bridge) {
    let context = {};
    const contextLoaded = Promise.resolve()
      .then(() => bridge.view.getContext())
      .then(
        (value) => {
          context = value && typeof value === "object" ? value : {};
        },
        () => {
          context = {};
        },
      );

    // invokeRemote cannot be cancelled; an aborted request's answer is dropped instead.
    async function invoke(path, signal, method, body) {
      if (signal && signal.aborted) {
        throw aborted();
      }
      const call = { path, method: method || "GET" };
      if (body !== undefined) {
        call.body = body;
      }
      let answer;
      try {
        answer = await bridge.invokeRemote(call);
      } catch (error) {
        if (signal && signal.aborted) {
          throw aborted();
        }
        const status = error && typeof error.status === "number" ? error.status : 0;
        throw failure(status, error ? parsedBody(error.body) : null, error && error.headers);
      }
      if (signal && signal.aborted) {
        throw aborted();
      }
      const result = unwrap(answer);
      if (!result.ok) {
        throw failure(result.status, result.body, result.headers);
      }
      return result.body;
    }

    function saveFile(file) {
      if (!file || typeof file.content !== "string" || typeof file.filename !== "string") {
        // The page words the message (timesheet.js holds the texts).
        throw { ...failure(0, null, {}), unreadable: true };
      }
      const binary = window.atob(file.content);
      const bytes = new Uint8Array(binary.length);
      for (let index = 0; index < binary.length; index += 1) {
        bytes[index] = binary.charCodeAt(index);
      }
      const blob = new Blob([bytes], { type: file.mediaType || "application/octet-stream" });
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = file.filename;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 60000);
      return file.filename;
    }

    const host = {
      ready() {
        return contextLoaded;
      },
      // Forge authenticates every invokeRemote itself: the page holds no token to renew.
      getToken() {
        return Promise.resolve({ value: undefined, answered: true });
      },
      timeZone() {
        return contextLoaded.then(() =>
          typeof context.timezone === "string" && context.timezone ? context.timezone : undefined,
        );
      },
      locale() {
        return contextLoaded.then(() =>
          typeof context.locale === "string" && context.locale ? context.locale : undefined,
        );
      },
      // A Forge page's own URL state is not kept yet: every visit opens the default report.
      readLocation() {
        return Promise.resolve(undefined);
      },
      writeLocation() {},
      openIssue(key) {
        if (!bridge.router || typeof bridge.router.navigate !== "function") {
          return false;
        }
        bridge.router.navigate({ target: "issue", issueKey: key }).catch(() => {
          // The link's own address still leads to the issue.
        });
        return true;
      },
      reload() {
        if (!bridge.router || typeof bridge.router.reload !== "function") {
          return false;
        }
        bridge.router.reload();
        return true;
      },
      // Forge sizes a Custom UI page itself.
      fitFrame() {},
    };

    return {
      kind: "forge",
      host,
      page() {
        const extension = context.extension && typeof context.extension === "object" ? context.extension : {};
        const project = extension.project && typeof extension.project === "object" ? extension.project : {};
        return {
          projectKey: typeof project.key === "string" ? project.key : "",
          siteUrl: typeof context.siteUrl === "string" ? context.siteUrl : "",
          timeZone: typeof context.timezone === "string" ? context.timezone : "",
          locale: typeof context.locale === "string" ? context.locale : "",
        };
      },
      fetchJSON(url, signal) {
        return invoke(url, signal);
      },
      sendJSON(method, url, body) {
        return invoke(url, null, method, body);
      },
      download(url) {
        return invoke(url, null).then(saveFile);
      },
    };
  }

  window.SmartTimesheetTransport = {
    forge() {
      const bridge = forgeBridge();
      return bridge ? forgeTransport(bridge) : null;
    },
  };
})();

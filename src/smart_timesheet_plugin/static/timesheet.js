/*
 * Smart Timesheet: the report page shown inside Jira.
 *
 * Reads the report settings from the form, asks the Timesheet API for the grid with the page's
 * context token (refreshed through the host before it expires), and draws the grid: sortable
 * rows, subtotal groups, sticky headers and totals, worklogs behind any number in a dialog, hours
 * as decimals or h:mm. Big reports draw only the rows in view. The page works inside Jira's iframe
 * and opened directly; when the host does not answer, it keeps using the token the server
 * rendered into the page.
 *
 * Everything the page asks of the product page around it goes through `host` (see "The host"),
 * so that another host protocol can be put in its place without touching the rest.
 */
(function () {
  "use strict";

  const root = document.getElementById("timesheet");
  if (!root) {
    return;
  }

  const HOURS_FORMAT_KEY = "smart-timesheet:hours-format";
  const TOKEN_REFRESH_TIMEOUT_MS = 5000;
  const HOST_ANSWER_TIMEOUT_MS = 1500;
  const HOST_SCRIPT_WAIT_MS = 3000;
  const AUTO_RETRY_LIMIT_SECONDS = 60;
  // The report parameters the host page's URL carries, so that a report can be bookmarked and
  // shared; every one is written, empty when unset, so that none lingers from an older report.
  const LOCATION_PARAMETERS = [
    "preset",
    "from",
    "to",
    "columns",
    "week_start",
    "group",
    "project",
    "user",
    "usergroup",
    "field",
    "pivot",
    "jql",
    "tz",
    "sort",
    "order",
    "expected",
  ];
  const ISSUE_DIMENSIONS = ["issue", "parent"];
  // The form field an API parameter belongs to, as the "field.*" texts name them.
  const FIELD_NAMES = {
    from: "from",
    to: "to",
    preset: "preset",
    columns: "columns",
    week_start: "week_start",
    group: "group",
    project: "project",
    user: "user",
    usergroup: "user",
    field: "field",
    pivot: "columns",
    order: "sort",
    jql: "jql",
    tz: "tz",
    sort: "sort",
    expected: "expected",
    row: "row",
    column: "column",
  };
  // Form controls that show a parameter's error; the first is focused.
  const FIELD_CONTROLS = {
    from: ["ts-from"],
    to: ["ts-to"],
    preset: [],
    columns: ["ts-columns"],
    week_start: ["ts-week-start"],
    group: ["ts-group1", "ts-group2"],
    project: ["ts-project"],
    user: ["ts-user"],
    usergroup: ["ts-user"],
    field: ["ts-field"],
    pivot: ["ts-columns"],
    jql: ["ts-jql"],
    tz: ["ts-tz"],
    expected: ["ts-expected"],
  };
  const FIELD_ERROR_IDS = {
    from: "ts-from-error",
    to: "ts-to-error",
    preset: "ts-preset-error",
    columns: "ts-columns-error",
    week_start: "ts-week_start-error",
    group: "ts-group-error",
    project: "ts-project-error",
    user: "ts-user-error",
    usergroup: "ts-user-error",
    field: "ts-field-error",
    pivot: "ts-columns-error",
    jql: "ts-jql-error",
    tz: "ts-tz-error",
    expected: "ts-expected-error",
  };

  const $ = (id) => document.getElementById(id);

  // ---- Words -----------------------------------------------------------------------------------
  // Every text the page shows comes from one table (page_strings_en.json, carried in the page's
  // data-strings attribute), looked up by key: a translation is another table with the same keys.

  const strings = (() => {
    let table = null;
    try {
      table = JSON.parse(root.dataset.strings || "null");
    } catch (error) {
      table = null;
    }
    const messages = table && typeof table.messages === "object" && table.messages ? table.messages : {};
    const language = table && typeof table.language === "string" ? table.language : "en";
    let plurals = null;
    try {
      plurals = new Intl.PluralRules(language);
    } catch (error) {
      plurals = null;
    }
    return { messages, plurals };
  })();

  function hasText(key) {
    return Object.prototype.hasOwnProperty.call(strings.messages, key);
  }

  // The text of `key` with its {placeholders} filled from `values`; the key itself when the table
  // lacks it (a visible hint, never a crash).
  function t(key, values) {
    const text = hasText(key) ? strings.messages[key] : key;
    if (!values) {
      return text;
    }
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole,
    );
  }

  // `key.one`, `key.other` (or another plural category of the table's language) for `count`.
  function tCount(key, count, values) {
    const category = strings.plurals ? strings.plurals.select(count) : count === 1 ? "one" : "other";
    const wanted = `${key}.${category}`;
    const chosen = hasText(wanted) ? wanted : `${key}.other`;
    return t(chosen, { count, ...values });
  }

  function dimensionLabel(name) {
    const key = `dimension.${name}`;
    return hasText(key) ? t(key) : name;
  }
  // One or more account ids, comma separated (what earlier versions of the form took).
  const ACCOUNT_IDS = /^[A-Za-z0-9:_-]{10,128}(\s*,\s*[A-Za-z0-9:_-]{10,128})*$/;
  const PICKER_DELAY_MS = 250;

  const config = {
    token: root.dataset.token || "",
    tokenLifetime: Number(root.dataset.tokenLifetime) || 300,
    initial: parseJSON(root.dataset.initial) || {},
    projectPage: root.dataset.projectPage === "true",
    siteUrl: (root.dataset.siteUrl || "").replace(/\/+$/, ""),
    api: {
      report: root.dataset.apiReport,
      worklogs: root.dataset.apiWorklogs,
      users: root.dataset.apiUsers,
      groups: root.dataset.apiGroups,
      saved: root.dataset.apiSaved,
      workweek: root.dataset.apiWorkweek,
      daysoff: root.dataset.apiDaysoff,
      csv: root.dataset.apiCsv,
      xlsx: root.dataset.apiXlsx,
    },
  };

  const form = $("ts-form");
  const fields = {
    from: $("ts-from"),
    to: $("ts-to"),
    columns: $("ts-columns"),
    weekStart: $("ts-week-start"),
    group1: $("ts-group1"),
    group2: $("ts-group2"),
    tz: $("ts-tz"),
    project: $("ts-project"),
    user: $("ts-user"),
    field: $("ts-field"),
    jql: $("ts-jql"),
  };
  const presetButtons = Array.from(document.querySelectorAll("[data-preset]"));
  const reportSection = $("ts-report");
  const grid = $("ts-grid");
  const table = $("ts-table");
  const links = { csv: $("ts-csv"), xlsx: $("ts-xlsx") };
  const viewerZoneOption = fields.tz.querySelector('option[value="viewer"]');

  const state = {
    preset: null,
    hoursFormat: readHoursFormat(),
    sort: { key: "label", dir: "asc" },
    report: null,
    loadedParams: null,
    shownQuery: null,
    serverSort: "label",
    stale: false,
    viewerZone: null,
    todayKey: null,
    request: null,
    retryTimer: null,
    retryTicker: null,
    // The people picker's choices: { kind: "user" | "group", id, name }; names are shown, ids sent.
    people: [],
    pickerTimer: null,
    pickerRequest: null,
    pickerOptions: [],
    pickerActive: -1,
    // Saved reports as the API lists them: { personal: [...], shared: [...] }.
    saved: { personal: [], shared: [] },
  };

  // ---- Small helpers ---------------------------------------------------------------------------

  function parseJSON(text) {
    try {
      return text ? JSON.parse(text) : null;
    } catch (error) {
      return null;
    }
  }

  function firstValue(value) {
    return Array.isArray(value) ? value[0] : value;
  }

  function listValue(value) {
    if (value === undefined || value === null) {
      return [];
    }
    return (Array.isArray(value) ? value : [value]).flatMap((item) => splitList(String(item)));
  }

  function splitList(text) {
    return text
      .split(/[\s,;]+/)
      .map((item) => item.trim())
      .filter(Boolean);
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  const inFrame = (() => {
    try {
      return window.self !== window.top;
    } catch (error) {
      return true;
    }
  })();

  // ---- The host --------------------------------------------------------------------------------
  // The one place that talks to the product page around the iframe: Atlassian Connect's AP here.
  // Each method answers with a promise or a plain value and degrades to "no answer" (undefined)
  // when there is no host, so the page also works opened on its own. A Forge Custom UI transport
  // (the @forge/bridge view, router and history) provides the same methods.

  function connectHost() {
    const ap = () => (typeof window.AP === "object" && window.AP ? window.AP : null);

    // Calls `start(answer)`, which hands `answer` to an AP method; resolves with what the host
    // answered, or undefined when it has no such method or stays silent for `timeoutMs`.
    function ask(start, timeoutMs) {
      return new Promise((resolve) => {
        let settled = false;
        const finish = (value, answered) => {
          if (!settled) {
            settled = true;
            window.clearTimeout(timer);
            resolve({ value, answered });
          }
        };
        const timer = window.setTimeout(() => finish(undefined, false), timeoutMs);
        try {
          if (start(ap(), (value) => finish(value, true)) === false) {
            finish(undefined, true);
          }
        } catch (error) {
          finish(undefined, true);
        }
      });
    }

    function has(object, name) {
      return Boolean(object) && typeof object[name] === "function";
    }

    return {
      // Resolves once the host's script has had its chance to load (it loads asynchronously).
      ready() {
        if (!inFrame || ap() || document.readyState === "complete") {
          return Promise.resolve();
        }
        return new Promise((resolve) => {
          const timer = window.setTimeout(resolve, HOST_SCRIPT_WAIT_MS);
          window.addEventListener("load", () => {
            window.clearTimeout(timer);
            resolve();
          });
        });
      },

      // A fresh context token: {value, answered}; answered is false when the host stayed silent.
      getToken(timeoutMs) {
        return ask((AP, answer) => {
          if (!AP || !has(AP.context, "getToken")) {
            return false;
          }
          AP.context.getToken(answer);
          return true;
        }, timeoutMs);
      },

      // The viewer's zone in their Jira profile, or undefined.
      timeZone() {
        return ask((AP, answer) => {
          if (!inFrame || !AP || !has(AP.user, "getTimeZone")) {
            return false;
          }
          AP.user.getTimeZone(answer);
          return true;
        }, HOST_ANSWER_TIMEOUT_MS).then(({ value }) =>
          typeof value === "string" && value ? value : undefined,
        );
      },

      // The viewer's Jira locale ("de-DE"): the one Jira put in the page's URL, else AP's answer.
      locale() {
        if (root.dataset.locale) {
          return Promise.resolve(root.dataset.locale);
        }
        return ask((AP, answer) => {
          if (!inFrame || !AP || !has(AP.user, "getLocale")) {
            return false;
          }
          AP.user.getLocale(answer);
          return true;
        }, HOST_ANSWER_TIMEOUT_MS).then(({ value }) =>
          typeof value === "string" && value ? value : undefined,
        );
      },

      // The report parameters in the host page's URL ({name: value}), or undefined.
      readLocation() {
        return ask((AP, answer) => {
          if (!inFrame || !AP || !has(AP.history, "getState")) {
            return false;
          }
          AP.history.getState("all", answer);
          return true;
        }, HOST_ANSWER_TIMEOUT_MS).then(({ value }) =>
          value && typeof value.query === "object" && value.query ? value.query : undefined,
        );
      },

      // Puts the report's parameters into the host page's URL without a new history entry. The
      // page's own URL is left alone: outside Jira it is signed, and a changed query would no
      // longer match its signature.
      writeLocation(query) {
        const AP = ap();
        if (inFrame && AP && has(AP.history, "replaceState")) {
          AP.history.replaceState({ query });
        }
      },

      // Shows an issue in Jira; false when the host cannot, so that the link is followed.
      openIssue(key) {
        const AP = ap();
        if (!inFrame || !AP || !has(AP.navigator, "go")) {
          return false;
        }
        AP.navigator.go("issue", { issueKey: key });
        return true;
      },

      reload() {
        const AP = ap();
        if (!inFrame || !AP || !has(AP.navigator, "reload")) {
          return false;
        }
        AP.navigator.reload();
        return true;
      },

      fitFrame() {
        const AP = ap();
        if (!inFrame || !AP) {
          return;
        }
        if (typeof AP.sizeToParent === "function") {
          AP.sizeToParent();
        } else if (typeof AP.resize === "function") {
          AP.resize();
        }
      },
    };
  }

  // Inside Forge, timesheet-transport.js provides the host and the calls (invokeRemote).
  const forge = window.SmartTimesheetTransport ? window.SmartTimesheetTransport.forge() : null;
  const host = forge ? forge.host : connectHost();

  function issueUrl(key) {
    return `${config.siteUrl}/browse/${encodeURIComponent(key)}`;
  }

  function issueLink(key) {
    const link = element("a", "ts-issue-link", key);
    link.href = issueUrl(key);
    link.target = "_top";
    link.dataset.issue = key;
    return link;
  }

  function onIssueLinkClick(event) {
    const link = event.target.closest("a[data-issue]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    if (host.openIssue(link.dataset.issue)) {
      event.preventDefault();
    }
  }

  // ---- The viewer's locale ---------------------------------------------------------------------
  // Dates and numbers are written the way the viewer's Jira language writes them: Jira passes its
  // locale in the iframe URL ("loc", rendered into data-locale) and through AP.user.getLocale, a
  // Forge page reads it from view.getContext(). Dates are calendar days, formatted in UTC so that
  // no zone moves them. Exports are not touched: they stay machine-readable.

  const formats = {};

  // A tag Intl knows (Jira writes de_DE in places), else null.
  function knownLocale(tag) {
    if (typeof tag !== "string" || !tag.trim()) {
      return null;
    }
    try {
      const [canonical] = Intl.getCanonicalLocales(tag.trim().replace(/_/g, "-"));
      return canonical && Intl.DateTimeFormat.supportedLocalesOf([canonical]).length ? canonical : null;
    } catch (error) {
      return null;
    }
  }

  function setLocale(tag) {
    const chosen = knownLocale(tag) || knownLocale(navigator.language) || "en-GB";
    const date = (options) => new Intl.DateTimeFormat(chosen, { timeZone: "UTC", ...options });
    Object.assign(formats, {
      locale: chosen,
      hours: new Intl.NumberFormat(chosen, {
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
        useGrouping: false,
      }),
      count: new Intl.NumberFormat(chosen),
      longDate: date({ day: "numeric", month: "short", year: "numeric" }),
      shortDate: date({ day: "numeric", month: "short" }),
      weekday: date({ weekday: "short" }),
      month: date({ month: "short", year: "numeric" }),
      year: date({ year: "numeric" }),
      started: date({ dateStyle: "medium", timeStyle: "short" }),
    });
    const sample = $("ts-decimal-sample");
    if (sample) {
      sample.textContent = formats.hours.format(7.5);
    }
  }

  // "1–3 Nov" in the viewer's style; a range of one day is that day.
  function dayRange(format, first, last) {
    if (first.getTime() === last.getTime()) {
      return format.format(first);
    }
    if (typeof format.formatRange === "function") {
      return format.formatRange(first, last);
    }
    return `${format.format(first)} – ${format.format(last)}`;
  }

  function formatCount(count) {
    return formats.count.format(count);
  }

  // ---- Dates -----------------------------------------------------------------------------------

  const WEEKDAY_NUMBER = { monday: 1, sunday: 0, saturday: 6 };
  const calendars = new Map();

  function parseDay(text) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    if (!match) {
      return null;
    }
    return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  }

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  function addDays(date, days) {
    return new Date(date.getTime() + days * 86400000);
  }

  // Today's date in an IANA zone (as a UTC midnight), or null when the zone is not known.
  function todayIn(zone) {
    if (!zone) {
      return null;
    }
    let calendar = calendars.get(zone);
    if (!calendar) {
      try {
        calendar = new Intl.DateTimeFormat("en-CA", {
          timeZone: zone,
          year: "numeric",
          month: "2-digit",
          day: "2-digit",
        });
      } catch (error) {
        return null;
      }
      calendars.set(zone, calendar);
    }
    const part = {};
    for (const { type, value } of calendar.formatToParts(new Date())) {
      part[type] = Number(value);
    }
    return new Date(Date.UTC(part.year, part.month - 1, part.day));
  }

  // The zone whose calendar decides the form's presets: the chosen one, else the viewer's (also
  // when each author's zone counts the days, as the API does).
  function periodZone() {
    const tz = fields.tz.value;
    return tz === "viewer" || tz === "author" ? state.viewerZone : tz;
  }

  function presetRange(preset, today, weekStart) {
    if (preset === "this-week" || preset === "last-week") {
      const offset = (today.getUTCDay() - WEEKDAY_NUMBER[weekStart] + 7) % 7;
      let first = addDays(today, -offset);
      if (preset === "last-week") {
        first = addDays(first, -7);
      }
      return [isoDay(first), isoDay(addDays(first, 6))];
    }
    const year = today.getUTCFullYear();
    if (preset === "this-year" || preset === "last-year") {
      const which = preset === "last-year" ? year - 1 : year;
      return [isoDay(new Date(Date.UTC(which, 0, 1))), isoDay(new Date(Date.UTC(which, 11, 31)))];
    }
    // Months and quarters: a span of 1 or 3 months, this one or the one before.
    const quarter = preset === "this-quarter" || preset === "last-quarter";
    const span = quarter ? 3 : 1;
    const startMonth = quarter ? Math.floor(today.getUTCMonth() / 3) * 3 : today.getUTCMonth();
    const back = preset.startsWith("last-") ? span : 0;
    const first = new Date(Date.UTC(year, startMonth - back, 1));
    const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + span, 0));
    return [isoDay(first), isoDay(last)];
  }

  // Shows a preset's dates in the form at once when its zone's calendar is known; the report
  // that answers has the final word (the API resolves presets in the same zone).
  function previewPreset() {
    const today = state.preset ? todayIn(periodZone()) : null;
    if (today) {
      const range = presetRange(state.preset, today, fields.weekStart.value);
      fields.from.value = range[0];
      fields.to.value = range[1];
    }
  }

  function matchingPreset(from, to, weekStart) {
    const today = todayIn(periodZone());
    if (!today) {
      return null;
    }
    for (const button of presetButtons) {
      const range = presetRange(button.dataset.preset, today, weekStart);
      if (range[0] === from && range[1] === to) {
        return button.dataset.preset;
      }
    }
    return null;
  }

  function rangeText(from, to) {
    const first = parseDay(from);
    const last = parseDay(to);
    if (!first || !last) {
      return `${from} – ${to}`;
    }
    if (from === to) {
      return formats.longDate.format(first);
    }
    const firstText =
      first.getUTCFullYear() === last.getUTCFullYear()
        ? formats.shortDate.format(first)
        : formats.longDate.format(first);
    return `${firstText} – ${formats.longDate.format(last)}`;
  }

  // ---- Hours -----------------------------------------------------------------------------------

  function decimalHours(seconds) {
    // Hundredths of an hour, halves rounded up, as the exports write them; then the viewer's
    // decimal sign (7.50, 7,50), without thousands separators in a grid of numbers.
    const hundredths = Math.round(seconds / 36);
    return formats.hours.format(hundredths / 100);
  }

  function clockHours(seconds) {
    const minutes = Math.round(seconds / 60);
    return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
  }

  function formatHours(seconds) {
    return state.hoursFormat === "hm" ? clockHours(seconds) : decimalHours(seconds);
  }

  function readHoursFormat() {
    try {
      return window.localStorage.getItem(HOURS_FORMAT_KEY) === "hm" ? "hm" : "decimal";
    } catch (error) {
      return "decimal";
    }
  }

  function storeHoursFormat(format) {
    try {
      window.localStorage.setItem(HOURS_FORMAT_KEY, format);
    } catch (error) {
      // Storage can be unavailable in a third-party frame; the choice then lasts for this visit.
    }
  }

  // ---- The context token -----------------------------------------------------------------------

  const auth = {
    token: "",
    expiresAt: 0,
    lifetimeMs: 0,
    timer: null,
    pending: null,
    hostSilent: false,

    accept(token) {
      const claims = parseJSON(decodeBase64Url((token.split(".")[1] || "").trim()));
      let lifetime = config.tokenLifetime;
      if (claims && typeof claims.exp === "number" && typeof claims.iat === "number") {
        lifetime = Math.max(10, claims.exp - claims.iat);
      }
      this.token = token;
      this.lifetimeMs = lifetime * 1000;
      this.expiresAt = Date.now() + this.lifetimeMs;
      this.schedule(Math.max(10000, this.lifetimeMs * 0.8));
      updateExportLinks();
    },

    schedule(delay) {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => {
        this.refresh().then((fresh) => {
          if (!fresh && Date.now() < this.expiresAt) {
            this.schedule(Math.min(30000, Math.max(5000, this.expiresAt - Date.now())));
          }
        });
      }, delay);
    },

    expiresSoon(marginMs) {
      return Date.now() > this.expiresAt - marginMs;
    },

    // A fresh token from the host page; resolves true when one arrived.
    refresh() {
      if (this.pending) {
        return this.pending;
      }
      this.pending = host
        .getToken(TOKEN_REFRESH_TIMEOUT_MS)
        .then(({ value, answered }) => {
          this.hostSilent = !answered;
          if (typeof value === "string" && value.split(".").length === 3) {
            this.accept(value);
            return true;
          }
          return false;
        })
        .finally(() => {
          this.pending = null;
        });
      return this.pending;
    },

    // Before a request: renew a token that is about to expire, unless the host never answers.
    ensureFresh() {
      if (!this.expiresSoon(30000) || (this.hostSilent && !this.pending)) {
        return Promise.resolve();
      }
      return this.refresh().then(() => undefined);
    },
  };

  function decodeBase64Url(text) {
    try {
      const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
      return window.atob(base64 + "===".slice((base64.length + 3) % 4));
    } catch (error) {
      return "";
    }
  }

  class ApiError extends Error {
    constructor(status, body, retryAfter) {
      const detail = body && typeof body.error === "string" ? body.error : "";
      super(detail || t("error.status", { status }));
      this.detail = detail;
      this.status = status;
      this.parameter = body && typeof body.parameter === "string" ? body.parameter : null;
      this.retryAfter = retryAfter;
    }
  }

  async function fetchJSON(url, signal) {
    if (forge) {
      try {
        return await forge.fetchJSON(url, signal);
      } catch (failure) {
        if (failure && typeof failure.status === "number") {
          throw new ApiError(failure.status, failure.body, failure.retryAfter);
        }
        throw failure;
      }
    }
    await auth.ensureFresh();
    const send = () =>
      window.fetch(url, {
        headers: { Authorization: `JWT ${auth.token}`, Accept: "application/json" },
        credentials: "omit",
        cache: "no-store",
        signal,
      });
    let response = await send();
    if (response.status === 401 && (await auth.refresh())) {
      response = await send();
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const header = Number(response.headers.get("Retry-After"));
      throw new ApiError(response.status, body, Number.isFinite(header) ? header : null);
    }
    return body;
  }

  // ---- The form --------------------------------------------------------------------------------

  function fillForm(initial) {
    fields.from.value = firstValue(initial.from) || "";
    fields.to.value = firstValue(initial.to) || "";
    const pivot = firstValue(initial.pivot);
    selectValue(fields.columns, pivot ? `pivot:${pivot}` : firstValue(initial.columns) || "day");
    fields.field.value = firstValue(initial.field) || "";
    selectValue(fields.weekStart, firstValue(initial.week_start) || "monday");
    const group = splitList(firstValue(initial.group) || "user");
    selectValue(fields.group1, group[0] || "user");
    selectValue(fields.group2, group[1] || "");
    syncGroupChoices();
    setPeople([
      ...listValue(initial.user).flatMap(splitList).map((id) => ({ kind: "user", id, name: id })),
      ...listValue(initial.usergroup)
        .flatMap(splitList)
        .map((id) => ({ kind: "group", id, name: t("people.group") })),
    ]);
    fields.user.value = "";
    nameChosenPeople();
    fields.jql.value = firstValue(initial.jql) || "";
    if (!fields.project.readOnly || !fields.project.value) {
      fields.project.value = listValue(initial.project).join(", ");
    }
    addZoneOption(browserZone(), true);
    // Jira's own "tz" iframe parameter never reaches here (see views.py): a report's zone comes
    // from the person's choice, kept in the host page's URL.
    const tz = firstValue(initial.tz) || "viewer";
    addZoneOption(tz, false);
    selectValue(fields.tz, tz);
    const order = firstValue(initial.order);
    state.sort =
      firstValue(initial.sort) === "total"
        ? { key: "total", dir: order === "asc" ? "asc" : "desc" }
        : { key: "label", dir: order === "desc" ? "desc" : "asc" };
    // Without dates the period is a preset, resolved by the API where the report counts days.
    const preset = firstValue(initial.preset);
    const known = presetButtons.some((button) => button.dataset.preset === preset);
    state.preset = !fields.from.value && !fields.to.value && known ? preset : null;
    previewPreset();
    markPreset(state.preset || matchingPreset(fields.from.value, fields.to.value, fields.weekStart.value));
    fillExpectedChoice(initial);
  }

  // The host's URL names a report (a bookmark or a shared link): it replaces the page's defaults,
  // except the project a project page is fixed to.
  function withLocation(initial, query) {
    if (!query || !LOCATION_PARAMETERS.some((name) => query[name])) {
      return initial;
    }
    const merged = {};
    for (const name of LOCATION_PARAMETERS) {
      if (typeof query[name] === "string" && query[name]) {
        merged[name] = [query[name]];
      }
    }
    if (config.projectPage) {
      merged.project = initial.project;
    }
    return merged;
  }

  function selectValue(select, value) {
    if (Array.from(select.options).some((option) => option.value === value)) {
      select.value = value;
    }
  }

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function addZoneOption(zone, thisComputer) {
    if (!zone || zone === "viewer" || zone === "author") {
      return;
    }
    if (Array.from(fields.tz.options).some((option) => option.value === zone)) {
      return;
    }
    const option = element("option", null, thisComputer ? t("tz.thisComputer", { zone }) : zone);
    option.value = zone;
    $("ts-tz-zones").prepend(option);
  }

  // The viewer's Jira zone, from the host or from a report counted in it: "My Jira time zone"
  // names it, and presets and "today" follow its calendar.
  function setViewerZone(zone) {
    if (!zone || zone === "author") {
      return;
    }
    state.viewerZone = zone;
    if (viewerZoneOption) {
      viewerZoneOption.textContent = t("tz.viewerNamed", { zone });
    }
  }

  function syncGroupChoices() {
    const first = fields.group1.value;
    for (const option of fields.group2.options) {
      option.disabled = option.value !== "" && option.value === first;
    }
    if (fields.group2.value === first) {
      fields.group2.value = "";
    }
    syncFieldChoice();
  }

  // The custom field's id is asked for only while a grouping level uses it.
  function syncFieldChoice() {
    const used = [fields.group1.value, fields.group2.value].includes("field");
    $("ts-field-field").hidden = !used;
  }

  function markPreset(preset) {
    for (const button of presetButtons) {
      button.setAttribute("aria-pressed", String(button.dataset.preset === preset));
    }
  }

  // The query the form describes (without the token).
  function formParams() {
    const params = new URLSearchParams();
    if (state.preset) {
      params.set("preset", state.preset);
    } else {
      if (fields.from.value) {
        params.set("from", fields.from.value);
      }
      if (fields.to.value) {
        params.set("to", fields.to.value);
      }
    }
    if (fields.columns.value.startsWith("pivot:")) {
      params.set("pivot", fields.columns.value.slice("pivot:".length));
    } else if (fields.columns.value !== "day") {
      params.set("columns", fields.columns.value);
    }
    if (fields.weekStart.value !== "monday") {
      params.set("week_start", fields.weekStart.value);
    }
    const group = [fields.group1.value];
    if (fields.group2.value && fields.group2.value !== fields.group1.value) {
      group.push(fields.group2.value);
    }
    if (group.join(",") !== "user") {
      params.set("group", group.join(","));
    }
    const projects = splitList(fields.project.value).map((key) => key.toUpperCase());
    if (projects.length) {
      params.set("project", projects.join(","));
    }
    const field = fields.field.value.trim().toLowerCase();
    if (field && group.includes("field")) {
      params.set("field", field);
    }
    const users = state.people.filter((item) => item.kind === "user").map((item) => item.id);
    // Account ids pasted into the box count as chosen people.
    const typed = fields.user.value.trim();
    if (ACCOUNT_IDS.test(typed)) {
      users.push(...splitList(typed).filter((id) => !users.includes(id)));
    }
    if (users.length) {
      params.set("user", users.join(","));
    }
    const groups = state.people.filter((item) => item.kind === "group").map((item) => item.id);
    if (groups.length) {
      params.set("usergroup", groups.join(","));
    }
    const jql = fields.jql.value.trim();
    if (jql) {
      params.set("jql", jql);
    }
    if (fields.tz.value !== "viewer") {
      params.set("tz", fields.tz.value);
    }
    if (state.sort.key === "total" && state.sort.dir === "desc") {
      params.set("sort", "total");
    }
    addExpectedChoice(params);
    return params;
  }

  function clearFieldErrors() {
    for (const name of Object.keys(FIELD_ERROR_IDS)) {
      clearFieldError(name);
    }
  }

  function clearFieldError(name) {
    const message = $(FIELD_ERROR_IDS[name]);
    if (message) {
      message.hidden = true;
      message.textContent = "";
    }
    for (const id of FIELD_CONTROLS[name] || []) {
      // A page may leave a control out (the Forge page has no expected hours).
      const control = $(id);
      if (control) {
        control.removeAttribute("aria-invalid");
      }
    }
  }

  function showFieldError(name, text) {
    const message = $(FIELD_ERROR_IDS[name]);
    if (!message) {
      return false;
    }
    message.textContent = text;
    message.hidden = false;
    const controls = (FIELD_CONTROLS[name] || []).map($);
    for (const control of controls) {
      control.setAttribute("aria-invalid", "true");
    }
    const target = controls.find((control) => !control.readOnly && !control.disabled);
    if (target) {
      target.focus();
    }
    return true;
  }

  // ---- The people picker -----------------------------------------------------------------------
  // Jira finds people and groups as the viewer; the form shows their names and sends their ids.

  function setPeople(people) {
    const seen = new Set();
    state.people = people.filter((item) => {
      const key = `${item.kind}:${item.id}`;
      if (!item.id || seen.has(key)) {
        return false;
      }
      seen.add(key);
      return true;
    });
    renderChips();
  }

  function renderChips() {
    const list = $("ts-user-chips");
    list.replaceChildren(
      ...state.people.map((item, index) => {
        const chip = element("li", "ts-chip");
        chip.dataset.kind = item.kind;
        chip.dataset.id = item.id;
        const text = item.kind === "group" ? t("people.groupNamed", { name: item.name }) : item.name;
        chip.append(element("span", "ts-chip__text", text));
        const remove = element("button", "ts-chip__remove", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", t("people.remove", { name: text }));
        remove.addEventListener("click", () => {
          setPeople(state.people.filter((_, position) => position !== index));
          clearFieldError("user");
          fields.user.focus();
        });
        chip.append(remove);
        return chip;
      }),
    );
    fields.user.placeholder = state.people.length ? t("people.addMore") : t("people.everyone");
  }

  // Ids restored from a link are shown by their names once Jira has named them.
  async function nameChosenPeople() {
    const ids = state.people.filter((item) => item.kind === "user" && item.name === item.id);
    if (!ids.length || !config.api.users) {
      return;
    }
    const query = new URLSearchParams();
    for (const item of ids) {
      query.append("accountId", item.id);
    }
    try {
      const body = await fetchJSON(`${config.api.users}?${query.toString()}`);
      const names = new Map((body.users || []).map((user) => [user.accountId, user.displayName]));
      setPeople(
        state.people.map((item) =>
          item.kind === "user" && names.has(item.id) ? { ...item, name: names.get(item.id) } : item,
        ),
      );
    } catch (error) {
      // The ids stay shown as they are; the report itself says what is wrong, if anything.
    }
  }

  function closeOptions() {
    const list = $("ts-user-options");
    list.hidden = true;
    list.replaceChildren();
    state.pickerOptions = [];
    state.pickerActive = -1;
    fields.user.setAttribute("aria-expanded", "false");
    fields.user.removeAttribute("aria-activedescendant");
  }

  function showOptions(options) {
    const list = $("ts-user-options");
    state.pickerOptions = options;
    state.pickerActive = options.length ? 0 : -1;
    list.replaceChildren(
      ...options.map((option, index) => {
        const item = element(
          "li",
          "ts-option",
          option.kind === "group" ? t("people.groupNamed", { name: option.name }) : option.name,
        );
        item.id = `ts-user-option-${index}`;
        item.setAttribute("role", "option");
        item.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the focus in the input
          choose(index);
        });
        return item;
      }),
    );
    if (!options.length) {
      const none = element("li", "ts-option ts-option--none", t("people.none"));
      none.setAttribute("aria-disabled", "true");
      list.append(none);
    }
    list.hidden = false;
    fields.user.setAttribute("aria-expanded", "true");
    markActiveOption();
  }

  function markActiveOption() {
    const items = $("ts-user-options").querySelectorAll('[role="option"]');
    items.forEach((item, index) => item.setAttribute("aria-selected", String(index === state.pickerActive)));
    if (state.pickerActive >= 0) {
      fields.user.setAttribute("aria-activedescendant", `ts-user-option-${state.pickerActive}`);
    } else {
      fields.user.removeAttribute("aria-activedescendant");
    }
  }

  function choose(index) {
    const option = state.pickerOptions[index];
    if (!option) {
      return;
    }
    setPeople([...state.people, option]);
    fields.user.value = "";
    clearFieldError("user");
    closeOptions();
  }

  async function searchPeople() {
    const query = fields.user.value.trim();
    if (state.pickerRequest) {
      state.pickerRequest.abort();
    }
    if (!query || ACCOUNT_IDS.test(query) || !config.api.users) {
      closeOptions();
      return;
    }
    const controller = new AbortController();
    state.pickerRequest = controller;
    const ask = (url) =>
      fetchJSON(`${url}?${new URLSearchParams({ query }).toString()}`, controller.signal);
    try {
      const [people, groups] = await Promise.all([
        ask(config.api.users),
        ask(config.api.groups).catch(() => ({ groups: [] })),
      ]);
      if (state.pickerRequest !== controller) {
        return;
      }
      const chosen = new Set(state.people.map((item) => `${item.kind}:${item.id}`));
      const options = [
        ...(people.users || []).map((user) => ({ kind: "user", id: user.accountId, name: user.displayName })),
        ...(groups.groups || []).map((group) => ({ kind: "group", id: group.groupId, name: group.name })),
      ].filter((option) => !chosen.has(`${option.kind}:${option.id}`));
      showOptions(options);
    } catch (error) {
      if (!controller.signal.aborted) {
        closeOptions();
        showFieldError("user", t("people.searchFailed"));
      }
    }
  }

  function onPickerInput() {
    window.clearTimeout(state.pickerTimer);
    state.pickerTimer = window.setTimeout(searchPeople, PICKER_DELAY_MS);
  }

  function onPickerKeydown(event) {
    const open = !$("ts-user-options").hidden && state.pickerOptions.length > 0;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      state.pickerActive = (state.pickerActive + 1) % state.pickerOptions.length;
      markActiveOption();
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      const count = state.pickerOptions.length;
      state.pickerActive = (state.pickerActive - 1 + count) % count;
      markActiveOption();
    } else if (event.key === "Enter" && open && state.pickerActive >= 0) {
      event.preventDefault(); // pick, do not submit the form
      choose(state.pickerActive);
    } else if (event.key === "Escape" && !$("ts-user-options").hidden) {
      event.preventDefault();
      closeOptions();
    } else if (event.key === "Backspace" && !fields.user.value && state.people.length) {
      setPeople(state.people.slice(0, -1));
    }
  }

  // ---- Saved reports ---------------------------------------------------------------------------
  // Kept in Jira (a user property, or an app property when shared); the API does the storing.

  async function sendJSON(method, url, body) {
    if (forge) {
      try {
        return await forge.sendJSON(method, url, body);
      } catch (failure) {
        if (failure && typeof failure.status === "number") {
          throw new ApiError(failure.status, failure.body, null);
        }
        throw failure;
      }
    }
    await auth.ensureFresh();
    const send = () =>
      window.fetch(url, {
        method,
        headers: {
          Authorization: `JWT ${auth.token}`,
          Accept: "application/json",
          "Content-Type": "application/json",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    let response = await send();
    if (response.status === 401 && (await auth.refresh())) {
      response = await send();
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiError(response.status, answer, null);
    }
    return answer;
  }

  function savedStatus(text) {
    $("ts-saved-status").textContent = text;
  }

  function renderSaved() {
    const select = $("ts-saved");
    const chosen = select.value;
    for (const [kind, id] of [
      ["personal", "ts-saved-personal"],
      ["shared", "ts-saved-shared"],
    ]) {
      $(id).replaceChildren(
        ...state.saved[kind].map((report) => {
          const option = element("option", null, report.name);
          option.value = `${kind}:${report.id}`;
          return option;
        }),
      );
    }
    select.value = Array.from(select.options).some((option) => option.value === chosen) ? chosen : "";
    $("ts-saved-delete").disabled = !select.value;
  }

  async function loadSaved() {
    if (!config.api.saved) {
      return;
    }
    try {
      const answer = await fetchJSON(config.api.saved);
      state.saved = { personal: answer.personal || [], shared: answer.shared || [] };
      renderSaved();
    } catch (error) {
      savedStatus(t("saved.loadFailed"));
    }
  }

  function chosenSaved() {
    const [kind, id] = $("ts-saved").value.split(":");
    const report = (state.saved[kind] || []).find((item) => item.id === id);
    return report ? { kind, report } : null;
  }

  function openSaved() {
    const chosen = chosenSaved();
    $("ts-saved-delete").disabled = !chosen;
    if (!chosen) {
      return;
    }
    clearFieldErrors();
    fillForm(chosen.report.query);
    savedStatus(t("saved.showing", { name: chosen.report.name }));
    loadReport(formParams(), { autoRetry: true });
  }

  async function saveReport() {
    const name = $("ts-save-name").value.trim();
    if (!name) {
      savedStatus(t("saved.nameFirst"));
      $("ts-save-name").focus();
      return;
    }
    const query = {};
    for (const [key, value] of formParams()) {
      (query[key] = query[key] || []).push(value);
    }
    const shared = $("ts-save-shared").checked;
    try {
      const answer = await sendJSON("POST", config.api.saved, { name, query, shared });
      await loadSaved();
      $("ts-saved").value = `${shared ? "shared" : "personal"}:${answer.report.id}`;
      $("ts-saved-delete").disabled = false;
      $("ts-save-name").value = "";
      savedStatus(t(shared ? "saved.savedShared" : "saved.saved", { name: answer.report.name }));
    } catch (error) {
      const refused = error instanceof ApiError ? error.detail || t("saved.saveRefused") : null;
      savedStatus(refused || t("saved.saveFailed"));
    }
  }

  async function deleteSaved() {
    const chosen = chosenSaved();
    if (!chosen) {
      return;
    }
    const query = new URLSearchParams({ id: chosen.report.id, shared: String(chosen.kind === "shared") });
    try {
      await sendJSON("DELETE", `${config.api.saved}?${query.toString()}`);
      savedStatus(t("saved.deleted", { name: chosen.report.name }));
      await loadSaved();
    } catch (error) {
      const refused = error instanceof ApiError ? error.detail || t("saved.deleteRefused") : null;
      savedStatus(refused || t("saved.deleteFailed"));
    }
  }

  // ---- Expected hours ----------------------------------------------------------------------------
  // The site's working week and the viewer's days off live in Jira (app and user properties);
  // the report adds each person's expected hours when the form asks for them (expected=1).

  const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

  function expectedToggle() {
    return config.api.workweek ? $("ts-expected") : null;
  }

  function fillExpectedChoice(initial) {
    const toggle = expectedToggle();
    if (toggle) {
      toggle.checked = ["1", "true"].includes(String(firstValue(initial.expected) || "").toLowerCase());
    }
  }

  function addExpectedChoice(params) {
    const toggle = expectedToggle();
    if (toggle && toggle.checked) {
      params.set("expected", "1");
    }
  }

  // Person rows carry their expected hours: every row is then two lines high, so the grid's
  // rows keep one height (the windowed grid measures it again).
  function markExpectedTable(report) {
    const withExpected = typeof report.expectedTotal === "number";
    if (table.classList.contains("ts-table--expected") !== withExpected) {
      table.classList.toggle("ts-table--expected", withExpected);
      view.measured = false;
    }
  }

  // A cell of a person's row (or the totals) with its expected hours under the logged ones,
  // marked under, over or met by a sign and words as well as colour. `expected` is undefined
  // for rows without expected hours.
  function withExpectedFigure(td, logged, expected) {
    if (typeof expected !== "number" || (!expected && !logged)) {
      return td;
    }
    const difference = (logged || 0) - expected;
    const kind = difference < 0 ? "under" : difference > 0 ? "over" : "met";
    const words = {
      under: t("expected.under", { hours: formatHours(-difference) }),
      over: t("expected.over", { hours: formatHours(difference) }),
      met: t("expected.met"),
    }[kind];
    const sign = { under: "\u2212", over: "+", met: "\u2713" }[kind];
    const figure = element("span", `ts-expected ts-expected--${kind}`);
    figure.title = t("expected.title", { hours: formatHours(expected), words });
    figure.append(
      element("span", "ts-visually-hidden", `${t("expected.hidden")} `),
      element("span", "ts-expected__of", `/ ${formatHours(expected)}`),
      " ",
      element("span", "ts-expected__sign", kind === "met" ? sign : `${sign}${formatHours(Math.abs(difference))}`),
      element("span", "ts-visually-hidden", ` ${t({ under: "expected.kind.under", over: "expected.kind.over", met: "expected.kind.met" }[kind])}`),
    );
    td.classList.add(`ts-cell--${kind}`);
    td.append(figure);
    return td;
  }

  function expectedStatus(text) {
    $("ts-expected-status").textContent = text;
  }

  async function openExpectedSettings() {
    const dialog = $("ts-expected-dialog");
    expectedStatus(t("expected.loading"));
    dialog.showModal();
    try {
      const [week, daysOff] = await Promise.all([
        fetchJSON(config.api.workweek),
        fetchJSON(config.api.daysoff),
      ]);
      for (const day of WEEKDAYS) {
        const input = $(`ts-week-${day}`);
        input.value = String(week.hours[day]);
        input.disabled = !week.canEdit;
      }
      $("ts-week-save").hidden = !week.canEdit;
      $("ts-week-note").textContent = week.canEdit
        ? t("expected.weekAdmin")
        : t("expected.weekReadOnly");
      $("ts-days-off").value = (daysOff.days || []).join("\n");
      expectedStatus(week.default ? t("expected.defaultWeek") : "");
    } catch (error) {
      expectedStatus(error instanceof ApiError ? error.detail || t("expected.refused") : t("expected.loadFailed"));
    }
  }

  async function saveWorkingWeek() {
    const hours = {};
    for (const day of WEEKDAYS) {
      const text = $(`ts-week-${day}`).value.trim().replace(",", ".");
      hours[day] = text === "" ? 0 : Number(text);
    }
    try {
      await sendJSON("PUT", config.api.workweek, { hours });
      expectedStatus(t("expected.weekSaved"));
      reloadExpected();
    } catch (error) {
      expectedStatus(error instanceof ApiError ? error.detail || t("expected.refused") : t("expected.saveFailed"));
    }
  }

  async function saveDaysOff() {
    const days = $("ts-days-off")
      .value.split(/[\s,;]+/)
      .filter(Boolean);
    try {
      const answer = await sendJSON("PUT", config.api.daysoff, { days });
      $("ts-days-off").value = answer.days.join("\n");
      expectedStatus(tCount("expected.daysOffSaved", answer.days.length));
      reloadExpected();
    } catch (error) {
      expectedStatus(error instanceof ApiError ? error.detail || t("expected.refused") : t("expected.saveFailed"));
    }
  }

  // A report showing expected hours is loaded again once the settings behind them change.
  function reloadExpected() {
    if (state.report && typeof state.report.expectedTotal === "number" && state.shownQuery) {
      loadReport(new URLSearchParams(state.shownQuery), { autoRetry: true });
    }
  }

  function wireExpected() {
    // Without the settings' API (the Forge page) the template leaves expected hours out.
    if (!expectedToggle()) {
      return;
    }
    expectedToggle().addEventListener("change", () => {
      clearFieldError("expected");
      apply();
    });
    $("ts-expected-open").addEventListener("click", openExpectedSettings);
    $("ts-week-save").addEventListener("click", saveWorkingWeek);
    $("ts-days-off-save").addEventListener("click", saveDaysOff);
    $("ts-expected-close").addEventListener("click", () => $("ts-expected-dialog").close());
  }

  // ---- Loading the report ----------------------------------------------------------------------

  function cancelPending() {
    if (state.request) {
      state.request.abort();
      state.request = null;
    }
    window.clearTimeout(state.retryTimer);
    window.clearInterval(state.retryTicker);
    state.retryTimer = null;
    state.retryTicker = null;
  }

  function apply() {
    clearFieldErrors();
    loadReport(formParams(), { autoRetry: true });
  }

  async function loadReport(params, options) {
    cancelPending();
    const controller = new AbortController();
    state.request = controller;
    hideMessage();
    setBusy(true);
    let report;
    try {
      report = await fetchJSON(`${config.api.report}?${params.toString()}`, controller.signal);
      if (!report || !Array.isArray(report.rows) || !Array.isArray(report.columns)) {
        throw new ApiError(500, { error: t("report.unreadable") });
      }
    } catch (error) {
      if (state.request === controller) {
        state.request = null;
        setBusy(false);
        if (!controller.signal.aborted) {
          markStale(true);
          showLoadError(error, params, options);
        }
      }
      return;
    }
    if (state.request !== controller) {
      return;
    }
    state.request = null;
    setBusy(false);
    showReport(report, params);
  }

  function setBusy(busy) {
    reportSection.setAttribute("aria-busy", String(busy));
    $("ts-loading").hidden = !busy;
  }

  // A report that failed to load leaves the last one on screen, marked as out of date: it no
  // longer matches the settings, so its numbers cannot be opened and its exports are off.
  function markStale(stale) {
    state.stale = Boolean(stale && state.report);
    grid.classList.toggle("ts-grid--stale", state.stale);
    grid.inert = state.stale;
    $("ts-stale").hidden = !state.stale;
    updateExportLinks();
    chartStale(state.stale);
  }

  function showReport(report, params) {
    // The parameters of the report on screen, its dates explicit: exports and cell details ask
    // for exactly these.
    const loaded = new URLSearchParams({ from: report.from, to: report.to });
    for (const [name, value] of params) {
      if (!["preset", "sort", "from", "to"].includes(name)) {
        loaded.append(name, value);
      }
    }
    if (!params.get("tz")) {
      setViewerZone(report.timezone);
    }
    state.report = report;
    state.loadedParams = loaded;
    state.shownQuery = new URLSearchParams(params);
    state.group = splitList(params.get("group") || "user");
    state.columnUnit = params.get("pivot") ? "pivot" : params.get("columns") || "day";
    state.weekStart = params.get("week_start") || "monday";
    state.serverSort = params.get("sort") === "total" ? "total" : "label";
    const todayZone = report.timezone === "author" ? state.viewerZone : report.timezone;
    const today = state.columnUnit === "day" ? todayIn(todayZone) : null;
    state.todayKey = today ? isoDay(today) : null;
    fields.from.value = report.from;
    fields.to.value = report.to;
    markPreset(state.preset || matchingPreset(report.from, report.to, fields.weekStart.value));
    markStale(false);
    grid.scrollTop = 0;
    grid.scrollLeft = 0;
    renderReport();
    updateExportLinks();
    writeLocation();
    chartReport();
    describeFiltersForPrint();
    const leafRows = report.rows.filter((row) => !row.subtotal).length;
    announce(
      report.rows.length
        ? tCount("report.loaded", leafRows, {
            rows: formatCount(leafRows),
            hours: decimalHours(report.total),
          })
        : t("report.loadedEmpty"),
    );
    resizeFrame();
  }

  // The report on screen, as the host page's URL (a preset stays a preset, so a bookmark of
  // "last month" is always last month).
  function writeLocation() {
    if (!state.shownQuery) {
      return;
    }
    const query = {};
    for (const name of LOCATION_PARAMETERS) {
      query[name] = state.shownQuery.get(name) || "";
    }
    query.sort = state.sort.key === "total" && state.sort.dir === "desc" ? "total" : "";
    if (config.projectPage) {
      query.project = "";
    }
    host.writeLocation(query);
  }

  function showLoadError(error, params, options) {
    if (!(error instanceof ApiError)) {
      showMessage("error", t("error.unreachable.title"), t("error.unreachable.text"), {
        label: t("error.tryAgain"),
        run: () => loadReport(params, { autoRetry: false }),
      });
      return;
    }
    const retry = {
      label: t("error.tryAgain"),
      run: () => loadReport(params, { autoRetry: false }),
    };
    switch (error.status) {
      case 400: {
        const name = error.parameter;
        const detail = stripParameter(error.message, name);
        if (name === "project" && config.projectPage) {
          // The project is the page's own, not a setting to correct: Jira hides it from this
          // viewer (it answers as if the project did not exist).
          showMessage(
            "error",
            t("error.noProject.title"),
            t("error.noProject.text", { project: fields.project.value || t("project.this") }),
          );
          break;
        }
        const label = name && FIELD_NAMES[name] ? t(`field.${FIELD_NAMES[name]}`) : t("field.any");
        if (name) {
          showFieldError(name, detail);
        }
        showMessage("error", t("error.settings.title"), t("error.settings.text", { field: label, detail }));
        break;
      }
      case 401:
        showMessage("error", t("error.expired.title"), t("error.expired.text"), {
          label: t("error.reload"),
          run: reloadPage,
        });
        break;
      case 403:
        showMessage(
          "error",
          t("error.forbidden.title"),
          error.detail || t("error.forbidden.text"),
        );
        break;
      case 429: {
        const wait = Math.max(1, Math.ceil(error.retryAfter || 5));
        const reason = error.detail || t("error.busy.reason");
        if (options.autoRetry && wait <= AUTO_RETRY_LIMIT_SECONDS) {
          scheduleRetry(params, wait, reason);
        } else {
          const text = t("error.busy.wait", { reason, seconds: wait });
          showMessage("warning", t("error.busy.title"), text, retry);
        }
        break;
      }
      case 502:
        showMessage(
          "error",
          t("error.badGateway.title"),
          error.detail || t("error.badGateway.text"),
          retry,
        );
        break;
      case 503:
        showMessage(
          "error",
          t("error.unavailable.title"),
          error.detail || t("error.unavailable.text"),
          retry,
        );
        break;
      case 504:
        showMessage(
          "error",
          t("error.timeout.title"),
          error.detail || t("error.timeout.text"),
          retry,
        );
        break;
      default:
        showMessage(
          "error",
          t("error.other.title"),
          error.detail || t("error.other.text", { status: error.status }),
          retry,
        );
    }
  }

  function stripParameter(message, name) {
    const prefix = name ? `${name}: ` : "";
    return prefix && message.startsWith(prefix) ? message.slice(prefix.length) : message;
  }

  function scheduleRetry(params, seconds, reason) {
    let remaining = seconds;
    const text = () => t("error.busy.retrying", { reason, seconds: remaining });
    showMessage("warning", t("error.busy.title"), text(), {
      label: t("error.retryNow"),
      run: () => loadReport(params, { autoRetry: false }),
    });
    state.retryTicker = window.setInterval(() => {
      remaining = Math.max(0, remaining - 1);
      $("ts-message-text").textContent = text();
    }, 1000);
    state.retryTimer = window.setTimeout(() => {
      loadReport(params, { autoRetry: false });
    }, seconds * 1000);
  }

  function reloadPage() {
    if (!host.reload()) {
      window.location.reload();
    }
  }

  function showMessage(kind, title, text, action) {
    const box = $("ts-message");
    box.className = `ts-message ts-message--${kind}`;
    $("ts-message-title").textContent = title;
    $("ts-message-text").textContent = text;
    const button = $("ts-message-action");
    button.hidden = !action;
    button.textContent = action ? action.label : "";
    button.onclick = action
      ? () => {
          action.run();
        }
      : null;
    box.hidden = false;
    resizeFrame();
  }

  function hideMessage() {
    $("ts-message").hidden = true;
  }

  function announce(text) {
    const region = $("ts-announcer");
    region.textContent = "";
    window.setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  // ---- Exports ---------------------------------------------------------------------------------

  // The files list rows in the order on screen: by label, total or a column, either way.
  function exportParams() {
    const params = new URLSearchParams(state.loadedParams);
    const { key, dir } = state.sort;
    if (key !== "label") {
      params.set("sort", key);
    }
    const natural = key === "label" ? "asc" : "desc";
    if (dir !== natural) {
      params.set("order", dir);
    }
    if (!forge) {
      params.set("jwt", auth.token);
    }
    return params;
  }

  function updateExportLinks() {
    for (const [kind, link] of Object.entries(links)) {
      if (state.loadedParams && state.report && !state.stale) {
        link.href = `${config.api[kind]}?${exportParams().toString()}`;
        link.removeAttribute("aria-disabled");
      } else {
        link.removeAttribute("href");
        link.setAttribute("aria-disabled", "true");
      }
    }
  }

  function onExportClick(event) {
    const link = event.currentTarget;
    if (link.getAttribute("aria-disabled") === "true") {
      event.preventDefault();
      return;
    }
    if (forge) {
      // Forge answers an export as JSON through invokeRemote; the page saves the file itself.
      event.preventDefault();
      forge.download(link.getAttribute("href")).catch((failure) => {
        const detail = failure && failure.body && failure.body.error;
        const fallback = failure && failure.unreadable ? t("export.unreadable") : t("export.tryAgain");
        showMessage("error", t("export.failed"), detail || fallback);
      });
      return;
    }
    if (!auth.expiresSoon(5000)) {
      return;
    }
    // The link carries an old token: renew it first, then follow the renewed link.
    event.preventDefault();
    auth.refresh().then((fresh) => {
      if (fresh) {
        link.click();
      } else {
        showMessage("error", t("error.expired.title"), t("export.expired"), {
          label: t("error.reload"),
          run: reloadPage,
        });
      }
    });
  }

  // ---- The grid --------------------------------------------------------------------------------
  // A small report is drawn whole. A big one (a year of days by a thousand rows is 400,000 cells)
  // keeps only the part in view in the document, with a margin: the rows on screen and a
  // screenful either side, and of those the columns on screen and a few either side. Spacer rows
  // and cells stand for the rest, and scrolling swaps rows and columns in and out. Sorting and
  // the hours format redraw just that part.

  const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
  // Reports up to this many cells are drawn whole; bigger ones draw the part in view.
  const WHOLE_GRID_CELLS = 25000;
  const ROW_OVERSCAN = 15;
  const MAX_DRAWN_ROWS = 300;
  // Columns are drawn in blocks, so that scrolling sideways redraws only every few columns.
  const COLUMN_BLOCK = 8;
  const COLUMN_OVERSCAN = 4;
  // A big grid has fixed column widths (in px): the browser lays it out from these alone, and
  // columns keep their width while cells come and go.
  const FIXED_WIDTHS = {
    label: 280,
    total: 96,
    day: 72,
    week: 80,
    month: 96,
    quarter: 112,
    year: 112,
    pivot: 120,
  };
  const view = {
    order: [],
    descriptions: [],
    whole: true,
    rowHeight: 32,
    measured: false,
    columnWidth: FIXED_WIDTHS.day,
    first: 0,
    last: -1,
    firstColumn: 0,
    lastColumn: -1,
    rows: new Map(),
    topSpacer: spacerRow(),
    bottomSpacer: spacerRow(),
    frame: 0,
    // While printing, a big grid is drawn whole (see "Printing").
    printing: false,
  };

  function spacerRow() {
    const tr = element("tr", "ts-spacer");
    tr.setAttribute("aria-hidden", "true");
    tr.append(element("td"));
    return tr;
  }

  // Stands for `span` columns that are not drawn.
  function gapCell(tag, span) {
    const cell = element(tag, "ts-gap");
    cell.colSpan = span;
    cell.setAttribute("aria-hidden", "true");
    return cell;
  }

  function rowLabel(row) {
    return row.labels[row.labels.length - 1] || "";
  }

  function sortValue(row, key) {
    if (key === "total") {
      return row.total;
    }
    return row.cells[key] || 0;
  }

  function compareRows(sort) {
    const direction = sort.dir === "asc" ? 1 : -1;
    return (a, b) => {
      if (sort.key === "label") {
        return direction * collator.compare(rowLabel(a), rowLabel(b));
      }
      const difference = sortValue(a, sort.key) - sortValue(b, sort.key);
      return direction * difference || collator.compare(rowLabel(a), rowLabel(b));
    };
  }

  // Rows in display order: subtotal groups stay together, their children sorted within.
  function displayRows(report) {
    const serverOrder =
      (state.serverSort === "label" && state.sort.key === "label" && state.sort.dir === "asc") ||
      (state.serverSort === "total" && state.sort.key === "total" && state.sort.dir === "desc");
    const indexed = report.rows.map((row, index) => ({ row, index }));
    if (serverOrder) {
      return indexed;
    }
    const compare = compareRows(state.sort);
    const byRow = (a, b) => compare(a.row, b.row);
    if (!report.rows.some((row) => row.subtotal)) {
      return indexed.sort(byRow);
    }
    const blocks = [];
    for (const item of indexed) {
      if (item.row.subtotal || !blocks.length) {
        blocks.push({ head: item, children: [] });
      } else {
        blocks[blocks.length - 1].children.push(item);
      }
    }
    blocks.sort((a, b) => byRow(a.head, b.head));
    return blocks.flatMap((block) => [block.head, ...block.children.sort(byRow)]);
  }

  function renderReport() {
    const report = state.report;
    renderSummary(report);
    const empty = report.rows.length === 0;
    $("ts-empty").hidden = !empty;
    grid.hidden = empty;
    if (!empty) {
      renderTable(report);
    }
  }

  function renderSummary(report) {
    $("ts-summary-title").textContent = rangeText(report.from, report.to);
    const meta = $("ts-summary-meta");
    meta.textContent = "";
    const zone =
      report.timezone === "author" ? t("summary.authorZones") : t("summary.zone", { zone: report.timezone });
    const grouping = state.group.map(dimensionLabel).join(" › ").toLowerCase();
    meta.append(t("summary.meta", { grouping, zone }));
    const hours = formatHours(report.total);
    const total = element(
      "span",
      "ts-summary__total",
      state.hoursFormat === "hm" ? hours : t("summary.hoursUnit", { hours }),
    );
    total.id = "ts-summary-total";
    meta.append(total);
    $("ts-caption").textContent = t("summary.caption", {
      range: rangeText(report.from, report.to),
      grouping,
      zone,
    });
  }

  function columnDescription(column) {
    const day = state.columnUnit === "day" ? parseDay(column.key) : null;
    const weekend = day ? day.getUTCDay() === 0 || day.getUTCDay() === 6 : false;
    const today = day ? column.key === state.todayKey : false;
    const { upper, lower } = periodLabel(column);
    return { weekend, today, upper, lower, label: upper ? `${upper} ${lower}` : lower };
  }

  // A period column's heading in the viewer's locale, from its key and the report's range (the
  // API's English label names a pivot's people or projects, and anything not understood): the
  // days it holds when the range cuts it short, as the API's label does.
  function periodLabel(column) {
    const fallback = { upper: "", lower: column.label };
    const from = parseDay(state.report.from);
    const to = parseDay(state.report.to);
    const span = periodSpan(state.columnUnit, column.key);
    if (!span || !from || !to) {
      return fallback;
    }
    const first = span[0] < from ? from : span[0];
    const last = span[1] > to ? to : span[1];
    const whole = first.getTime() === span[0].getTime() && last.getTime() === span[1].getTime();
    const days = () => dayRange(formats.longDate, first, last);
    switch (state.columnUnit) {
      case "day":
        return { upper: formats.weekday.format(first), lower: formats.shortDate.format(first) };
      case "week": {
        const upper =
          state.weekStart === "monday"
            ? t("column.week", { week: String(isoWeek(span[0])).padStart(2, "0") })
            : "";
        return { upper, lower: dayRange(formats.shortDate, first, last) };
      }
      case "month":
        return { upper: "", lower: whole ? formats.month.format(first) : days() };
      case "quarter": {
        const quarter = Math.floor(span[0].getUTCMonth() / 3) + 1;
        const lower = whole
          ? t("column.quarter", { quarter, year: formats.year.format(first) })
          : t("column.quarterPart", { quarter, days: days() });
        return { upper: "", lower };
      }
      case "year":
        return { upper: "", lower: whole ? formats.year.format(first) : days() };
      default:
        return fallback;
    }
  }

  // The first and last day of a column's whole period, from its key (see docs/timesheet-api.md).
  function periodSpan(unit, key) {
    let match;
    if (unit === "day" && (match = parseDay(key))) {
      return [match, match];
    }
    if (unit === "week" && (match = parseDay(key))) {
      return [match, addDays(match, 6)];
    }
    if (unit === "month" && (match = /^(\d{4})-(\d{2})$/.exec(key))) {
      const [year, month] = [Number(match[1]), Number(match[2]) - 1];
      return [new Date(Date.UTC(year, month, 1)), new Date(Date.UTC(year, month + 1, 0))];
    }
    if (unit === "quarter" && (match = /^(\d{4})-Q([1-4])$/.exec(key))) {
      const [year, month] = [Number(match[1]), (Number(match[2]) - 1) * 3];
      return [new Date(Date.UTC(year, month, 1)), new Date(Date.UTC(year, month + 3, 0))];
    }
    if (unit === "year" && (match = /^(\d{4})$/.exec(key))) {
      const year = Number(match[1]);
      return [new Date(Date.UTC(year, 0, 1)), new Date(Date.UTC(year, 11, 31))];
    }
    return null;
  }

  // The ISO 8601 week number of a day (weeks from Monday; week 1 holds the year's first Thursday).
  function isoWeek(day) {
    const thursday = addDays(day, 3 - ((day.getUTCDay() + 6) % 7));
    const firstOfYear = Date.UTC(thursday.getUTCFullYear(), 0, 1);
    return Math.floor((thursday.getTime() - firstOfYear) / (7 * 86400000)) + 1;
  }

  // A column's heading as the page shows it.
  function columnLabel(column) {
    const index = state.report.columns.indexOf(column);
    const description = index >= 0 ? view.descriptions[index] : null;
    return description ? description.label : column.label;
  }

  function sortButton(key, upper, lower, title) {
    const button = element("button", "ts-sort");
    button.type = "button";
    button.dataset.sort = key;
    button.title = t("grid.sortBy", { column: title });
    if (upper) {
      button.append(element("span", "ts-sort__weekday", upper));
    }
    const text = element("span", "ts-sort__text");
    const arrow = element("span", "ts-sort__arrow");
    arrow.setAttribute("aria-hidden", "true");
    if (key === "label") {
      text.append(element("span", "ts-sort__date", lower), arrow);
    } else {
      text.append(arrow, element("span", "ts-sort__date", lower));
    }
    button.append(text);
    return button;
  }

  function headerCell(key, className, upper, lower, title) {
    const th = element("th", className);
    th.scope = "col";
    th.append(sortButton(key, upper, lower, title));
    return th;
  }

  // Shows the sort order on the header: aria-sort and an arrow on the sorted column only.
  function markSort() {
    for (const button of table.tHead.querySelectorAll(".ts-sort")) {
      const th = button.parentElement;
      const arrow = button.querySelector(".ts-sort__arrow");
      if (button.dataset.sort === state.sort.key) {
        th.setAttribute("aria-sort", state.sort.dir === "asc" ? "ascending" : "descending");
        arrow.textContent = state.sort.dir === "asc" ? "▲" : "▼";
      } else if (th.hasAttribute("aria-sort")) {
        th.removeAttribute("aria-sort");
        arrow.textContent = "";
      }
    }
  }

  function renderTable(report) {
    const count = report.columns.length;
    view.descriptions = report.columns.map(columnDescription);
    view.whole = report.rows.length * (count + 2) <= WHOLE_GRID_CELLS;
    table.classList.toggle("ts-table--windowed", !view.whole);
    table.setAttribute("aria-rowcount", String(report.rows.length + 2));
    table.setAttribute("aria-colcount", String(count + 2));
    view.topSpacer.firstChild.colSpan = count + 2;
    view.bottomSpacer.firstChild.colSpan = count + 2;
    setColumnWidths(count);
    markExpectedTable(report);
    // A new report starts at the top left; the part a screen can show is drawn without
    // measuring the fresh table (scrolling refines it).
    const rows = Math.ceil((window.innerHeight || 800) / view.rowHeight) + ROW_OVERSCAN;
    const columns = (window.innerWidth || 1280) / view.columnWidth;
    view.order = displayRows(report);
    drawColumns(blockRange(0, Math.ceil(columns) + COLUMN_OVERSCAN, count), [0, rows]);
  }

  // Fixed widths for a big grid (one <col> for the label, one for the days, one for the total).
  function setColumnWidths(count) {
    const old = table.querySelector("colgroup");
    if (old) {
      old.remove();
    }
    if (view.whole) {
      table.style.removeProperty("width");
      return;
    }
    view.columnWidth = FIXED_WIDTHS[state.columnUnit] || FIXED_WIDTHS.day;
    const colgroup = element("colgroup");
    for (const [span, width] of [
      [1, FIXED_WIDTHS.label],
      [count, view.columnWidth],
      [1, FIXED_WIDTHS.total],
    ]) {
      const col = element("col");
      col.span = span;
      col.style.width = `${width}px`;
      colgroup.append(col);
    }
    table.caption.after(colgroup);
    const width = FIXED_WIDTHS.label + FIXED_WIDTHS.total + view.columnWidth * count;
    table.style.width = `${width}px`;
  }

  // Columns [first, last], widened to whole blocks.
  function blockRange(first, last, count) {
    if (view.whole || view.printing) {
      return [0, count - 1];
    }
    const start = Math.max(0, Math.floor(first / COLUMN_BLOCK) * COLUMN_BLOCK);
    const end = Math.min(count - 1, Math.ceil((last + 1) / COLUMN_BLOCK) * COLUMN_BLOCK - 1);
    return [Math.min(start, count - 1), Math.max(end, Math.min(start, count - 1))];
  }

  // Draws the header, the totals row and the body rows for the columns `columns` ([first,
  // last]) and the rows `rows` (positions of the display order), keeping the focus where it was.
  function drawColumns(columns, rows) {
    const focused = focusedSelector();
    view.firstColumn = columns[0];
    view.lastColumn = columns[1];
    renderHead(state.report);
    renderFoot(state.report);
    redrawRows(rows[0], rows[1]);
    restoreFocus(focused);
  }

  // Where the focus is in the grid (a selector that finds the same control once redrawn).
  function focusedSelector() {
    const active = document.activeElement;
    if (!active || !table.contains(active)) {
      return null;
    }
    if (active.matches(".ts-cell")) {
      return cellSelector(Number(active.dataset.row), active.dataset.column);
    }
    if (active.matches(".ts-sort")) {
      return `.ts-sort[data-sort="${cssEscape(active.dataset.sort)}"]`;
    }
    const row = active.closest("tr[aria-rowindex]");
    if (row && active.matches("a[data-issue]")) {
      return `tr[aria-rowindex="${row.getAttribute("aria-rowindex")}"] a[data-issue]`;
    }
    return null;
  }

  function restoreFocus(selector) {
    const again = selector ? table.querySelector(selector) : null;
    if (again && again !== document.activeElement) {
      again.focus({ preventScroll: true });
    }
  }

  function cellSelector(rowIndex, columnKey) {
    const column =
      columnKey === undefined || columnKey === null
        ? ":not([data-column])"
        : `[data-column="${cssEscape(columnKey)}"]`;
    return `.ts-cell[data-row="${rowIndex}"]${column}`;
  }

  // The cells of columns first..last of a row, between the cells that stand for the others.
  function appendColumns(tr, tag, makeCell) {
    const count = state.report.columns.length;
    if (view.firstColumn > 0) {
      tr.append(gapCell(tag, view.firstColumn));
    }
    for (let column = view.firstColumn; column <= view.lastColumn; column += 1) {
      const cell = makeCell(state.report.columns[column], view.descriptions[column]);
      if (!view.whole) {
        cell.setAttribute("aria-colindex", String(column + 2));
      }
      tr.append(cell);
    }
    if (view.lastColumn < count - 1) {
      tr.append(gapCell(tag, count - 1 - view.lastColumn));
    }
  }

  function renderHead(report) {
    const grouping = state.group.map(dimensionLabel).join(" / ");
    const headRow = element("tr");
    headRow.setAttribute("aria-rowindex", "1");
    headRow.append(headerCell("label", "ts-label-cell", "", grouping, grouping));
    appendColumns(headRow, "th", (column, description) => {
      const className = [description.weekend && "ts-weekend", description.today && "ts-today"]
        .filter(Boolean)
        .join(" ");
      return headerCell(column.key, className, description.upper, description.lower, description.label);
    });
    headRow.append(headerCell("total", "ts-total-cell", "", t("grid.total"), t("grid.sortByTotal")));
    table.tHead.replaceChildren(headRow);
    markSort();
  }

  function renderFoot(report) {
    const footRow = element("tr");
    footRow.setAttribute("aria-rowindex", String(report.rows.length + 2));
    const footLabel = element("th", "ts-label-cell", t("grid.total"));
    footLabel.scope = "row";
    footRow.append(footLabel);
    appendColumns(footRow, "td", (column, description) =>
      withExpectedFigure(
        valueCell(report.totals[column.key], -1, column.key, description),
        report.totals[column.key],
        report.expectedTotals && (report.expectedTotals[column.key] || 0),
      ),
    );
    const grandTotal = withExpectedFigure(
      totalCell(report.total, -1),
      report.total,
      report.expectedTotals && report.expectedTotal,
    );
    grandTotal.id = "ts-grand-total";
    grandTotal.dataset.seconds = String(report.total);
    footRow.append(grandTotal);
    table.tFoot.replaceChildren(footRow);
  }

  // Puts the rows in their current order into the body afresh (new report, sort, hours format),
  // at the positions already drawn unless told which: the scroll position has not changed, and
  // measuring a table that was just changed would cost a layout of its own.
  function redrawRows(first, last) {
    const range = first === undefined ? [view.first, view.last] : [first, last];
    view.order = displayRows(state.report);
    for (const tr of view.rows.values()) {
      tr.remove();
    }
    view.rows.clear();
    view.first = 0;
    view.last = -1;
    drawRows(range);
  }

  function scheduleGrid() {
    if (!view.frame && state.report && !view.whole && !view.printing) {
      view.frame = window.requestAnimationFrame(drawGrid);
    }
  }

  // After scrolling: the columns in view, when they are other than those drawn, else the rows.
  function drawGrid() {
    view.frame = 0;
    if (!state.report || grid.hidden || !view.order.length) {
      return;
    }
    const rows = wantedRows(view.order.length);
    const columns = columnsInView();
    if (columns[0] < view.firstColumn || columns[1] > view.lastColumn) {
      drawColumns(columns, rows);
    } else {
      drawRows(rows);
    }
  }

  // The columns [first, last] in view, with a margin, widened to whole blocks.
  function columnsInView() {
    const left = grid.scrollLeft - FIXED_WIDTHS.label;
    const right = left + (grid.clientWidth || window.innerWidth || 1280);
    return blockRange(
      Math.floor(left / view.columnWidth) - COLUMN_OVERSCAN,
      Math.ceil(right / view.columnWidth) + COLUMN_OVERSCAN,
      state.report.columns.length,
    );
  }

  // Brings the body to the rows at positions `range` ([first, last]), moving only the changes.
  function drawRows(range) {
    const count = view.order.length;
    const body = table.tBodies[0];
    if (!count) {
      body.replaceChildren();
      return;
    }
    const [first, last] = clampRows(range, count);
    const keepFirst = Math.max(first, view.first);
    const keepLast = Math.min(last, view.last);
    for (const [position, tr] of view.rows) {
      if (position < keepFirst || position > keepLast) {
        tr.remove();
        view.rows.delete(position);
      }
    }
    if (keepFirst > keepLast) {
      const fresh = rowRange(first, last);
      body.insertBefore(fresh, view.bottomSpacer.isConnected ? view.bottomSpacer : null);
    } else {
      if (first < keepFirst) {
        view.rows.get(keepFirst).before(rowRange(first, keepFirst - 1));
      }
      if (last > keepLast) {
        view.rows.get(keepLast).after(rowRange(keepLast + 1, last));
      }
    }
    view.first = first;
    view.last = last;
    placeSpacer(view.topSpacer, first, true);
    placeSpacer(view.bottomSpacer, count - 1 - last, false);
    if (!view.measured && !view.whole) {
      // Rows are one line high by design; measure once what that is here.
      const height = view.rows.get(first).getBoundingClientRect().height;
      view.measured = height > 0;
      if (view.measured && Math.abs(height - view.rowHeight) > 0.5) {
        view.rowHeight = height;
        drawRows(wantedRows(count));
      }
    }
  }

  // Positions [first, last] of the display order in view, with a screenful either side.
  function wantedRows(count) {
    if (view.whole) {
      return [0, count - 1];
    }
    const box = grid.getBoundingClientRect();
    const top = Math.max(box.top, 0);
    const bottom = Math.min(box.bottom, window.innerHeight || document.documentElement.clientHeight);
    // The body's top edge is where the first row would be: the top spacer stands for those above.
    const origin = table.tBodies[0].getBoundingClientRect().top;
    const first = Math.floor((top - origin) / view.rowHeight) - ROW_OVERSCAN;
    const last = Math.ceil((bottom - origin) / view.rowHeight) + ROW_OVERSCAN;
    return clampRows([first, last], count);
  }

  function clampRows([first, last], count) {
    if (view.whole || view.printing) {
      return [0, count - 1];
    }
    const start = Math.min(Math.max(first, 0), count - 1);
    return [start, Math.min(Math.max(last, start), count - 1, start + MAX_DRAWN_ROWS - 1)];
  }

  function placeSpacer(spacer, rows, atTop) {
    if (rows <= 0) {
      spacer.remove();
      return;
    }
    spacer.firstChild.style.height = `${rows * view.rowHeight}px`;
    if (!spacer.isConnected) {
      const body = table.tBodies[0];
      if (atTop) {
        body.prepend(spacer);
      } else {
        body.append(spacer);
      }
    }
  }

  function rowRange(first, last) {
    const fragment = document.createDocumentFragment();
    for (let position = first; position <= last; position += 1) {
      const tr = rowElement(position);
      view.rows.set(position, tr);
      fragment.append(tr);
    }
    return fragment;
  }

  function rowElement(position) {
    const { row, index } = view.order[position];
    const tr = element("tr");
    if (row.subtotal) {
      tr.className = "ts-row--subtotal";
    } else if (row.labels.length > 1) {
      tr.className = "ts-row--child";
    }
    tr.setAttribute("aria-rowindex", String(position + 2));
    const th = element("th", "ts-label-cell");
    th.scope = "row";
    th.title = row.labels.join(" › ");
    th.append(...labelContent(row));
    tr.append(th);
    appendColumns(tr, "td", (column, description) =>
      withExpectedFigure(
        valueCell(row.cells[column.key], index, column.key, description),
        row.cells[column.key],
        row.expected && (row.expected[column.key] || 0),
      ),
    );
    tr.append(withExpectedFigure(totalCell(row.total, index), row.total, row.expected && row.expectedTotal));
    return tr;
  }

  // A row's label; an issue (or parent issue) level links its key to the issue in Jira.
  function labelContent(row) {
    const level = row.labels.length - 1;
    const label = row.labels[level] || "";
    const key = row.key[level];
    if (ISSUE_DIMENSIONS.includes(state.group[level]) && key && label.startsWith(key)) {
      return [issueLink(key), label.slice(key.length)];
    }
    return [label];
  }

  function valueCell(seconds, rowIndex, columnKey, description) {
    const td = element("td", description.weekend ? "ts-weekend" : null);
    if (seconds) {
      td.append(cellButton(seconds, rowIndex, columnKey));
    }
    return td;
  }

  // A row's total (a row index) or the grand total (-1): its worklogs over the whole period.
  function totalCell(seconds, rowIndex) {
    const td = element("td", "ts-total-cell");
    if (seconds) {
      td.append(cellButton(seconds, rowIndex, null));
    } else {
      td.textContent = formatHours(0);
    }
    return td;
  }

  function cellButton(seconds, rowIndex, columnKey) {
    const button = element("button", "ts-cell", formatHours(seconds));
    button.type = "button";
    button.dataset.row = String(rowIndex);
    if (columnKey !== null) {
      button.dataset.column = columnKey;
    }
    button.setAttribute("aria-haspopup", "dialog");
    button.title = t("grid.showWorklogs");
    return button;
  }

  // Draws a cell's row and column (scrolling the grid to them) so that it can take the focus.
  function revealCell(rowIndex, columnKey) {
    if (view.whole) {
      return;
    }
    const position = view.order.findIndex((item) => item.index === rowIndex);
    const column = state.report.columns.findIndex((item) => item.key === columnKey);
    if (position >= 0 && !view.rows.has(position)) {
      grid.scrollTop = Math.max(0, position * view.rowHeight - grid.clientHeight / 2);
    }
    if (column >= 0 && (column < view.firstColumn || column > view.lastColumn)) {
      grid.scrollLeft = Math.max(0, column * view.columnWidth - grid.clientWidth / 2);
    }
    drawGrid();
  }

  function onTableClick(event) {
    const sortButtonTarget = event.target.closest(".ts-sort");
    if (sortButtonTarget) {
      changeSort(sortButtonTarget.dataset.sort);
      return;
    }
    const cell = event.target.closest(".ts-cell");
    if (cell) {
      openDetail(cell);
    }
  }

  function changeSort(key) {
    if (state.sort.key === key) {
      state.sort = { key, dir: state.sort.dir === "asc" ? "desc" : "asc" };
    } else {
      state.sort = { key, dir: key === "label" ? "asc" : "desc" };
    }
    markSort();
    redrawRows();
    updateExportLinks();
    writeLocation();
    const names = { label: t("grid.sortByName"), total: t("grid.sortByTotal") };
    const column = state.report.columns.find((item) => item.key === key);
    const what = names[key] || (column ? columnLabel(column) : key);
    const sorted = state.sort.dir === "asc" ? "grid.sorted.ascending" : "grid.sorted.descending";
    announce(t(sorted, { column: what }));
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : text.replace(/"/g, '\\"');
  }

  // ---- Worklog detail --------------------------------------------------------------------------

  const dialog = $("ts-detail");
  const detail = { opener: null, request: null };
  // Worklogs drawn at a time in the dialog; a grand total can hold tens of thousands.
  const DETAIL_PAGE_SIZE = 500;
  const FOCUSABLE =
    'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), ' +
    '[tabindex]:not([tabindex="-1"])';

  function openDetail(cell) {
    const report = state.report;
    const rowIndex = Number(cell.dataset.row);
    const row = rowIndex >= 0 ? report.rows[rowIndex] : null;
    const columnKey = cell.dataset.column;
    const column =
      columnKey === undefined ? null : report.columns.find((item) => item.key === columnKey);
    if ((columnKey !== undefined && !column) || (rowIndex >= 0 && !row)) {
      return;
    }
    detail.opener = { row: rowIndex, column: column ? column.key : null };
    const rowText = row ? row.labels.join(" › ") : t("detail.allRows");
    const when = column ? columnLabel(column) : rangeText(report.from, report.to);
    $("ts-detail-subtitle").textContent = t("detail.subtitle", { row: rowText, period: when });
    const body = $("ts-detail-body");
    body.replaceChildren(loadingLine(t("detail.loading")));
    body.setAttribute("aria-busy", "true");
    if (!dialog.open) {
      dialog.showModal();
    }
    $("ts-detail-close").focus();

    if (detail.request) {
      detail.request.abort();
    }
    const controller = new AbortController();
    detail.request = controller;
    const params = new URLSearchParams(state.loadedParams);
    params.set("row", JSON.stringify(row ? row.key : []));
    if (column) {
      params.set("column", column.key);
    }
    fetchJSON(`${config.api.worklogs}?${params.toString()}`, controller.signal)
      .then((data) => {
        if (detail.request === controller) {
          renderDetail(data.worklogs || []);
        }
      })
      .catch((error) => {
        if (detail.request === controller && !controller.signal.aborted) {
          renderDetailError(error);
        }
      })
      .finally(() => {
        if (detail.request === controller) {
          detail.request = null;
          body.setAttribute("aria-busy", "false");
        }
      });
  }

  function loadingLine(text) {
    const line = element("div", "ts-loading");
    const spinner = element("span", "ts-spinner");
    spinner.setAttribute("aria-hidden", "true");
    line.append(spinner, element("span", null, text));
    return line;
  }

  function startedNode(started) {
    const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      started || "",
    );
    const time = element("time", "ts-detail-started");
    time.dateTime = started || "";
    if (!match) {
      time.textContent = started || "";
      return time;
    }
    // The wall-clock time of the zone that chose its day, written in the viewer's style.
    const [year, month, day] = match[1].split("-").map(Number);
    const [hour, minute] = match[2].split(":").map(Number);
    time.append(formats.started.format(new Date(Date.UTC(year, month - 1, day, hour, minute))));
    if (match[3]) {
      time.append(" ", element("span", "ts-detail-offset", match[3] === "Z" ? t("detail.utc") : match[3]));
    }
    return time;
  }

  function worklogRow(worklog) {
    const tr = element("tr");
    const issue = element("th", null);
    issue.scope = "row";
    issue.append(issueLink(worklog.issue));
    const started = element("td");
    started.append(startedNode(worklog.started));
    const comment = worklog.comment
      ? element("td", "ts-detail-comment", worklog.comment)
      : element("td", "ts-detail-comment ts-detail-comment--none", t("detail.noComment"));
    tr.append(
      issue,
      element("td", null, worklog.authorName || worklog.author),
      started,
      element("td", "ts-num", formatHours(worklog.seconds || 0)),
      comment,
    );
    return tr;
  }

  function renderDetail(worklogs) {
    const body = $("ts-detail-body");
    if (!worklogs.length) {
      body.replaceChildren(
        element("p", "ts-empty__hint", t("detail.changed")),
      );
      return;
    }
    const detailTable = element("table", "ts-detail-table");
    const caption = element("caption", "ts-visually-hidden", t("detail.caption"));
    const head = element("thead");
    const headRow = element("tr");
    for (const [key, numeric] of [
      ["detail.issue", false],
      ["detail.author", false],
      ["detail.started", false],
      ["detail.hours", true],
      ["detail.comment", false],
    ]) {
      const th = element("th", numeric ? "ts-num" : null, t(key));
      th.scope = "col";
      headRow.append(th);
    }
    head.append(headRow);
    const tbody = element("tbody");
    const total = worklogs.reduce((sum, worklog) => sum + (worklog.seconds || 0), 0);
    const foot = element("tfoot");
    const footRow = element("tr");
    const count = element(
      "td",
      null,
      tCount("detail.count", worklogs.length, { worklogs: formatCount(worklogs.length) }),
    );
    count.colSpan = 3;
    footRow.append(count, element("td", "ts-num", formatHours(total)), element("td"));
    foot.append(footRow);
    detailTable.append(caption, head, tbody, foot);
    const more = element("button", "ts-button ts-detail-more");
    more.type = "button";
    let shown = 0;
    const showMore = () => {
      const end = Math.min(worklogs.length, shown + DETAIL_PAGE_SIZE);
      const fragment = document.createDocumentFragment();
      for (let index = shown; index < end; index += 1) {
        fragment.append(worklogRow(worklogs[index]));
      }
      tbody.append(fragment);
      shown = end;
      const left = worklogs.length - shown;
      more.hidden = left === 0;
      more.textContent = t("detail.more", {
        count: formatCount(Math.min(left, DETAIL_PAGE_SIZE)),
        left: formatCount(left),
      });
    };
    more.addEventListener("click", () => {
      showMore();
      if (more.hidden) {
        $("ts-detail-close").focus();
      }
    });
    showMore();
    body.replaceChildren(detailTable, more);
  }

  function renderDetailError(error) {
    let text = t("detail.failed");
    if (error instanceof ApiError) {
      if (error.status === 401) {
        text = t("detail.expired");
      } else if (error.status === 429) {
        const wait = Math.max(1, Math.ceil(error.retryAfter || 5));
        text = t("detail.busy", { reason: error.detail || t("error.busy.reason"), seconds: wait });
      } else if (error.detail) {
        text = error.detail;
      }
    }
    const message = element("div", "ts-message ts-message--error");
    message.setAttribute("role", "alert");
    const inner = element("div", "ts-message__body");
    inner.append(
      element("p", "ts-message__title", t("detail.unavailable")),
      element("p", "ts-message__text", text),
    );
    message.append(inner);
    $("ts-detail-body").replaceChildren(message);
  }

  // Tab and Shift+Tab go round the dialog's controls: past its last control the browser would
  // move the focus out of Jira's iframe, where Escape no longer reaches the dialog.
  function trapFocus(event) {
    if (event.key !== "Tab") {
      return;
    }
    const stops = Array.from(dialog.querySelectorAll(FOCUSABLE)).filter(
      (node) => !node.hidden && node.getClientRects().length > 0,
    );
    if (!stops.length) {
      event.preventDefault();
      return;
    }
    const first = stops[0];
    const last = stops[stops.length - 1];
    const active = document.activeElement;
    const inside = stops.includes(active);
    if (event.shiftKey && (active === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  }

  function closeDetail() {
    if (dialog.open) {
      dialog.close();
    }
  }

  function onDetailClosed() {
    if (detail.request) {
      detail.request.abort();
      detail.request = null;
    }
    const opener = detail.opener;
    detail.opener = null;
    if (!opener || !state.report) {
      return;
    }
    revealCell(opener.row, opener.column);
    const cell = table.querySelector(cellSelector(opener.row, opener.column));
    if (cell) {
      cell.focus();
    }
  }

  // ---- The chart -------------------------------------------------------------------------------
  // A stacked bar per column, by the first grouping level: timesheet-chart.js draws it; the page
  // hands it each report, the hours format and the report's freshness.

  const chart = window.SmartTimesheetChart
    ? window.SmartTimesheetChart.create({
        formatHours,
        hoursText: (seconds) => formatHours(seconds) + (state.hoursFormat === "hm" ? "" : " h"),
        onResize: resizeFrame,
        text: {
          title: t("chart.title"),
          other: t("chart.other"),
          segment: t("chart.segment"),
          bar: t("chart.bar"),
          legendItem: t("chart.legendItem"),
          column: t("chart.column"),
          total: t("chart.total"),
          showTable: t("chart.showTable"),
          hideTable: t("chart.hideTable"),
          keys: t("chart.keys"),
        },
      })
    : null;

  function chartReport() {
    if (chart) {
      // The first level's name as the form's menu shows it (the template's words).
      const first = state.group[0];
      const option = Array.from(fields.group1.options).find((item) => item.value === first);
      chart.setReport(state.report, (option ? option.textContent.trim() : first).toLowerCase());
    }
  }

  function chartRefresh() {
    if (chart) {
      chart.refresh();
    }
  }

  function chartStale(stale) {
    if (chart) {
      chart.setStale(stale);
    }
  }

  // ---- Printing --------------------------------------------------------------------------------
  // Printed (or saved as PDF), the page is the report: the period, the settings that are not
  // on paper otherwise (projects, people, JQL, columns) and the whole grid. A big grid keeps only
  // the rows and columns in view in the document, so it is drawn whole while the page prints
  // and windowed again afterwards. Browsers announce printing with beforeprint and afterprint;
  // a print media query's change says the same where those are not sent (print emulation).

  // The settings of the report on screen, each named by its label on the form (so in the
  // template's words) with its value, or the placeholder that stands for "all".
  function describeFiltersForPrint() {
    const label = (control) => {
      const node = document.querySelector(`label[for="${control.id}"]`);
      return node ? node.textContent.trim() : control.name;
    };
    const people = state.people.map((person) => person.name);
    const jql = fields.jql.value.trim();
    const columns = fields.columns.options[fields.columns.selectedIndex];
    const parts = [
      `${label(fields.project)}: ${fields.project.value.trim() || fields.project.placeholder}`,
      `${label(fields.user)}: ${people.length ? people.join(", ") : fields.user.placeholder}`,
      columns ? `${label(fields.columns)}: ${columns.textContent.trim()}` : "",
      jql ? `${label(fields.jql)}: ${jql}` : "",
    ];
    $("ts-print-filters").textContent = parts.filter(Boolean).join(" · ");
  }

  const printMedia = window.matchMedia ? window.matchMedia("print") : null;

  function beforePrint() {
    if (view.printing || !state.report || view.whole || grid.hidden || !view.order.length) {
      return;
    }
    view.printing = true;
    drawColumns([0, state.report.columns.length - 1], [0, view.order.length - 1]);
  }

  function afterPrint() {
    if (!view.printing) {
      return;
    }
    // The part in view is measured once the screen's layout is back; while the page still has
    // print media (print emulation outlasting a print), it stays whole.
    window.requestAnimationFrame(() => {
      if (!view.printing || (printMedia && printMedia.matches)) {
        return;
      }
      view.printing = false;
      if (state.report && !view.whole && view.order.length) {
        drawColumns(columnsInView(), wantedRows(view.order.length));
      }
    });
  }

  // The Print button prints this frame alone: inside Jira the browser's own Print would print
  // Jira's page, with the report cut to the frame's box.
  function printReport() {
    if (typeof window.print === "function") {
      window.print();
    }
  }

  function wirePrinting() {
    $("ts-print").addEventListener("click", printReport);
    window.addEventListener("beforeprint", beforePrint);
    window.addEventListener("afterprint", afterPrint);
    if (printMedia && typeof printMedia.addEventListener === "function") {
      printMedia.addEventListener("change", (event) =>
        event.matches ? beforePrint() : afterPrint(),
      );
    }
  }

  // ---- Frame size ------------------------------------------------------------------------------

  function resizeFrame() {
    host.fitFrame();
  }

  // ---- Wiring ----------------------------------------------------------------------------------

  function setHoursFormat(format) {
    state.hoursFormat = format === "hm" ? "hm" : "decimal";
    storeHoursFormat(state.hoursFormat);
    if (state.report) {
      renderSummary(state.report);
      if (state.report.rows.length) {
        renderFoot(state.report);
        redrawRows();
      }
      chartRefresh();
    }
  }

  function wire() {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      apply();
    });
    for (const button of presetButtons) {
      button.addEventListener("click", () => {
        state.preset = button.dataset.preset;
        previewPreset();
        markPreset(state.preset);
        apply();
      });
    }
    for (const input of [fields.from, fields.to]) {
      input.addEventListener("input", () => {
        state.preset = null;
        markPreset(matchingPreset(fields.from.value, fields.to.value, fields.weekStart.value));
        clearFieldError(input === fields.from ? "from" : "to");
      });
    }
    fields.weekStart.addEventListener("change", previewPreset);
    fields.tz.addEventListener("change", previewPreset);
    fields.group1.addEventListener("change", syncGroupChoices);
    fields.group2.addEventListener("change", syncFieldChoice);
    fields.field.addEventListener("input", () => clearFieldError("field"));
    const named = {
      columns: fields.columns,
      week_start: fields.weekStart,
      group: fields.group1,
      tz: fields.tz,
      project: fields.project,
      user: fields.user,
      jql: fields.jql,
    };
    for (const [name, control] of Object.entries(named)) {
      control.addEventListener("input", () => clearFieldError(name));
    }
    fields.group2.addEventListener("input", () => clearFieldError("group"));
    fields.user.addEventListener("input", onPickerInput);
    if (config.api.saved) {
      // Without a saved-reports API the template leaves the menu out.
      $("ts-saved").addEventListener("change", openSaved);
      $("ts-save").addEventListener("click", saveReport);
      $("ts-saved-delete").addEventListener("click", deleteSaved);
    }
    wireExpected();
    fields.user.addEventListener("keydown", onPickerKeydown);
    fields.user.addEventListener("blur", () => window.setTimeout(closeOptions, 150));

    for (const radio of document.querySelectorAll('input[name="hours_format"]')) {
      radio.checked = radio.value === state.hoursFormat;
      radio.addEventListener("change", () => {
        if (radio.checked) {
          setHoursFormat(radio.value);
        }
      });
    }
    links.csv.addEventListener("click", onExportClick);
    links.xlsx.addEventListener("click", onExportClick);
    table.addEventListener("click", onTableClick);
    document.addEventListener("click", onIssueLinkClick);
    grid.addEventListener("scroll", scheduleGrid, { passive: true });
    window.addEventListener("scroll", scheduleGrid, { passive: true });
    window.addEventListener("resize", scheduleGrid);

    $("ts-detail-close").addEventListener("click", closeDetail);
    dialog.addEventListener("close", onDetailClosed);
    dialog.addEventListener("keydown", trapFocus);
    dialog.addEventListener("click", (event) => {
      // A click on the backdrop lands on the dialog element itself.
      if (event.target === dialog) {
        closeDetail();
      }
    });
    window.addEventListener("load", resizeFrame);
    wirePrinting();
  }

  // A Forge page is rendered once for every site and project: its project page and site come
  // from the bridge's context instead of the server.
  function applyForgePage(page) {
    config.siteUrl = (page.siteUrl || "").replace(/\/+$/, "");
    if (page.projectKey) {
      config.projectPage = true;
      config.initial = { ...config.initial, project: [page.projectKey] };
      fields.project.value = page.projectKey;
      fields.project.readOnly = true;
      $("ts-project-hint").textContent = t("project.hintFixed");
    }
  }

  function start() {
    setLocale(root.dataset.locale);
    wire();
    fillForm(config.initial);
    if (!forge) {
      auth.accept(config.token);
    }
    resizeFrame();
    // The host's URL may name a report (a bookmark), and the host knows the viewer's zone and
    // locale; ask them before the first report, which then matches the link, the viewer's
    // calendar and the viewer's way of writing dates and numbers.
    host
      .ready()
      .then(() => {
        if (forge) {
          applyForgePage(forge.page());
        }
      })
      .then(() => Promise.all([host.readLocation(), host.timeZone(), host.locale()]))
      .then(([query, zone, locale]) => {
        setLocale(locale);
        setViewerZone(zone);
        fillForm(withLocation(config.initial, query));
        loadReport(formParams(), { autoRetry: true });
        loadSaved();
      });
  }

  start();
})();

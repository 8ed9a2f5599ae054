/*
 * Smart Timesheet: how hours are written, shared by the page's companions (the dashboard
 * gadget). Decimal hours round to hundredths, halves up, exactly as the exports write them, so
 * a total read in the gadget equals the page's and the CSV's.
 */
(function () {
  "use strict";

  function decimalHours(seconds) {
    const hundredths = Math.round(seconds / 36);
    const whole = Math.floor(hundredths / 100);
    return `${whole}.${String(hundredths % 100).padStart(2, "0")}`;
  }

  function clockHours(seconds) {
    const minutes = Math.round(seconds / 60);
    return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
  }

  window.SmartTimesheetFormat = { decimalHours, clockHours };
})();

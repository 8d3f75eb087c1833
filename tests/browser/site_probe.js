// Injected by tests/project/test_docs_site_browser.py at the top of a built handbook page.
// Material for MkDocs renders each ```mermaid block into a *closed* shadow root,
// which --dump-dom cannot see: this opens those roots, waits until every
// pre.mermaid has become an SVG, copies each SVG into the light DOM
// (div.incidentflow-probe) and reports through document.title:
//   "rendered N"      N diagrams rendered, nothing fetched from another origin
//   "error: ..."      a script error, a resource fetched from another origin,
//                     or diagrams still unrendered after 8 s of page time
(function () {
  var attachShadow = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attachShadow.call(this, Object.assign({}, init, { mode: "open" }));
  };
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); });
  window.addEventListener("unhandledrejection", function (e) { errors.push(String(e.reason)); });
  var timer = setInterval(function () {
    if (errors.length) {
      document.title = "error: " + errors.join("; ");
      clearInterval(timer);
      return;
    }
    if (document.readyState !== "complete") return;
    var hosts = Array.prototype.filter.call(document.querySelectorAll("div.mermaid"), function (h) {
      return h.shadowRoot && h.shadowRoot.querySelector("svg");
    });
    var pending = document.querySelectorAll("pre.mermaid").length;
    if (pending || !hosts.length) {
      if (performance.now() > 8000) {
        document.title = "error: timed out with " + pending + " diagram(s) unrendered (mermaid is " +
          typeof window.mermaid + ")";
        clearInterval(timer);
      }
      return;
    }
    hosts.forEach(function (h) {
      var copy = document.createElement("div");
      copy.className = "incidentflow-probe";
      copy.innerHTML = h.shadowRoot.innerHTML;
      document.body.appendChild(copy);
    });
    var foreign = performance.getEntriesByType("resource")
      .map(function (r) { return r.name; })
      .filter(function (url) { return new URL(url).origin !== location.origin; });
    document.title = foreign.length
      ? "error: fetched from another origin: " + foreign.join(", ")
      : "rendered " + hosts.length;
    clearInterval(timer);
  }, 50);
})();

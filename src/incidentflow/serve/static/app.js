// The web page's only script: sign out, press buttons through the JSON API,
// draw the flowchart with the Mermaid this service serves. Writes go with the session
// cookie and the X-Incidentflow-Request header the service requires of cookie writes
// (its CSRF protection, see incidentflow/serve/auth.py).
"use strict";

function showError(message) {
  var box = document.getElementById("error");
  box.textContent = message;
  box.hidden = false;
  window.scrollTo(0, 0);
}

async function call(method, url, body) {
  var headers = { "X-Incidentflow-Request": "1" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  var response = await fetch(url, {
    method: method,
    headers: headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) {
    var message = response.status + " " + response.statusText;
    try {
      var answer = await response.json();
      if (answer && answer.error) message = answer.error.message;
    } catch (ignored) {}
    throw new Error(message);
  }
  return response.status === 204 ? null : response.json();
}

function formData(form) {
  var data = {};
  new FormData(form).forEach(function (value, key) { data[key] = value; });
  return data;
}

function setUpSignOut() {
  var button = document.getElementById("sign-out");
  if (!button) return;
  button.addEventListener("click", async function () {
    await call("DELETE", "/api/session");
    window.location.assign("/signin");
  });
}

function setUpQueue() {
  var form = document.getElementById("open-incident");
  if (!form) return;
  var process = document.getElementById("open-process");
  var severity = document.getElementById("open-severity");
  process.addEventListener("change", function () {
    var levels = process.selectedOptions[0].dataset.levels.split(",");
    severity.replaceChildren.apply(severity, levels.map(function (level) {
      var option = document.createElement("option");
      option.textContent = level;
      return option;
    }));
  });
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    try {
      var incident = await call("POST", "/api/incidents", formData(form));
      window.location.assign("/incidents/" + encodeURIComponent(incident.id));
    } catch (error) {
      showError(error.message);
    }
  });
}

function setUpIncident() {
  var page = document.getElementById("incident");
  if (!page) return;
  var base = "/api/incidents/" + encodeURIComponent(page.dataset.id);
  var version = Number(page.dataset.version);

  async function write(path, body) {
    body.expected_version = version;
    try {
      await call("POST", base + path, body);
      window.location.reload();
    } catch (error) {
      showError(error.message);
    }
  }

  document.querySelectorAll("[data-call]").forEach(function (button) {
    button.addEventListener("click", function () {
      var d = button.dataset;
      button.disabled = true;
      if (d.call === "fire") write("/fire", { transition: d.transition });
      else if (d.call === "check") write("/check", { item: d.item });
      else if (d.call === "unassign") write("/unassign", { role: d.role, person: d.person });
    });
  });
  [["note", "/notes"], ["assign", "/assign"], ["severity", "/severity"]].forEach(function (pair) {
    var form = document.getElementById(pair[0]);
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      write(pair[1], formData(form));
    });
  });
  // someone else moved it: show the new state (reloading only when the version changed)
  window.setInterval(async function () {
    try {
      var now = await call("GET", base);
      if (now.version !== version) window.location.reload();
    } catch (ignored) {}
  }, 15000);
}

async function drawFlowchart() {
  var source = document.getElementById("flowchart-source");
  var target = document.getElementById("flowchart");
  if (!source || !target) return;
  var text = JSON.parse(source.textContent);
  if (typeof mermaid === "undefined") {
    var pre = document.createElement("pre");
    pre.textContent = text;
    target.replaceChildren(pre);
    return;
  }
  try {
    // the neutral theme draws phases in grey, so the amber of the current state stands out
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral" });
    var drawn = await mermaid.render("incidentflow-flowchart", text);
    target.innerHTML = drawn.svg;
    target.dataset.drawn = "true";
    var current = target.querySelector("g.node.current");
    if (current) current.scrollIntoView({ block: "center", inline: "center" });
  } catch (error) {
    target.textContent = "The flowchart could not be drawn: " + (error.message || error);
  }
}

document.addEventListener("DOMContentLoaded", function () {
  setUpSignOut();
  setUpQueue();
  setUpIncident();
  drawFlowchart().finally(function () { document.body.dataset.ready = "true"; });
});

// The live part of the events page: new events arrive as server-sent events.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var body = document.getElementById("events");
  if (!status || !body || status.dataset.live !== "yes" || !window.EventSource) {
    return;
  }
  var filter = status.dataset.filter || "";
  var source = new EventSource("/events/stream?filter=" + encodeURIComponent(filter));
  var received = 0;

  function cell(text, tag) {
    var element = document.createElement("td");
    if (tag) {
      var inner = document.createElement(tag);
      inner.textContent = text;
      element.appendChild(inner);
    } else {
      element.textContent = text;
    }
    return element;
  }

  source.onopen = function () {
    status.textContent = "Watching live" + (filter ? " (" + filter + ")" : "") + ".";
    status.classList.add("live");
  };
  source.onmessage = function (message) {
    var event = JSON.parse(message.data);
    var origin = event.source || {};
    var row = document.createElement("tr");
    row.className = "new";
    row.appendChild(cell((event.sent || "").replace("T", " ")));
    var topic = cell(event.topic || "");
    topic.className = "topic";
    row.appendChild(topic);
    row.appendChild(cell((origin.user && origin.user.username) || origin.id || ""));
    row.appendChild(cell(JSON.stringify(event.data, null, 0), "pre"));
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > 500) {
      body.deleteRow(body.rows.length - 1);
    }
    received += 1;
    status.textContent = "Watching live: " + received + " new event" + (received === 1 ? "" : "s") + ".";
  };
  source.onerror = function () {
    status.textContent = "Live view interrupted; reconnecting…";
    status.classList.remove("live");
  };
}());

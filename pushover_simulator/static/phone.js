// The Pushover simulator's phone page: shows the state streamed from
// /_sim/events and acts through the /_sim control API.
//
// Everything sent by a message's sender is put in the page as text
// (textContent). The one exception is `html_safe`: markup the simulator
// already sanitised to <b>, <i>, <u>, <font color> and http(s) <a>.
"use strict";

(() => {
  const EVENTS_URL = "/_sim/events";
  const VIEW_URL = "/_sim/phone/state";
  const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

  const list = byTestId("message-list");
  const cards = new Map(); // message id -> {signature, node}
  let accountSignature = "";
  let inboxSignature = "";
  let noticeTimer = 0;

  // Builds an element; `text` goes in as text, never as markup.
  function element(tag, options = {}, children = []) {
    const node = document.createElement(tag);
    if (options.className) node.className = options.className;
    if (options.testid) node.dataset.testid = options.testid;
    if (options.text !== undefined && options.text !== null) {
      node.textContent = String(options.text);
    }
    for (const [name, value] of Object.entries(options.attrs || {})) {
      node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child) node.append(child);
    }
    return node;
  }

  // "Today" is the simulator's today: its clock may be moved by a test.
  let simulatorNow = 0;

  function formatTime(seconds) {
    const date = new Date(seconds * 1000);
    const sameDay = date.toDateString() === new Date(simulatorNow * 1000).toDateString();
    return sameDay
      ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
      : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  }

  function formatClock(seconds) {
    return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function timeElement(seconds, testid) {
    const node = element("time", { testid, text: formatTime(seconds) });
    const iso = new Date(seconds * 1000).toISOString();
    node.dateTime = iso;
    node.title = iso;
    return node;
  }

  // The first recipient's problems with an encrypted message, field by field.
  function encryptionProblems(message) {
    const accounts = message.encryption ? message.encryption.accounts : [];
    return accounts.length ? accounts[0].problems : {};
  }

  function messageBody(message) {
    const body = element("div", { className: "message-body", testid: "message-body" });
    const problem = encryptionProblems(message).message;
    if (message.message === null && problem) {
      body.textContent = `Cannot decrypt: ${problem}`;
      body.dataset.format = "undecryptable";
      body.classList.add("undecryptable");
    } else if (message.html && typeof message.html_safe === "string") {
      body.innerHTML = message.html_safe; // sanitised by the simulator
      body.dataset.format = "html";
    } else {
      body.textContent = message.message;
      body.dataset.format = message.monospace ? "monospace" : "text";
      if (message.monospace) body.classList.add("mono");
    }
    return body;
  }

  function messageLink(message) {
    if (!message.url) return null;
    const label = message.url_title || message.url;
    if (message.url_href) {
      const link = element("a", {
        className: "message-url",
        testid: "message-url",
        text: label,
        attrs: { rel: "noopener noreferrer", target: "_blank" },
      });
      link.href = message.url_href;
      return link;
    }
    // Not an http(s) URL: shown, never linked.
    return element("span", { className: "message-url-text", testid: "message-url", text: label });
  }

  function emergencyBlock(message) {
    const receipt = message.receipt;
    if (!receipt) return null;
    const status = element("span", {
      className: "receipt-status",
      testid: "receipt-status",
      text: receipt.status,
    });
    status.dataset.status = receipt.status;
    const parts = [`sent ${receipt.retry_count}×`, `every ${receipt.retry}s`];
    if (receipt.status === "acknowledged" && receipt.acknowledged_by_device) {
      parts.push(`by ${receipt.acknowledged_by_device}`);
    } else if (receipt.status === "pending") {
      parts.push(`until ${formatClock(receipt.expires_at)}`);
    }
    if (receipt.called_back) {
      parts.push("callback ✓");
    } else if (receipt.callback_status !== null && receipt.callback_status !== undefined) {
      parts.push(`callback failed (${receipt.callback_status || "no answer"})`);
    } else if (receipt.callback) {
      parts.push("callback waiting");
    }
    const retries = element("span", {
      className: "retry-count",
      testid: "retry-count",
      text: parts.join(" · "),
    });
    retries.dataset.count = String(receipt.retry_count);
    let button = null;
    if (receipt.can_acknowledge) {
      button = element("button", {
        className: "ack-button",
        testid: "ack-button",
        text: "Acknowledge",
        attrs: { type: "button" },
      });
      button.addEventListener("click", () => acknowledge(button, receipt));
    }
    const block = element("div", { className: "emergency", testid: "emergency" }, [
      status,
      retries,
      button,
    ]);
    block.dataset.receipt = receipt.id;
    return block;
  }

  // The lock chip, each recipient account's result and the encrypted form.
  function encryptionBlock(message) {
    const encryption = message.encryption;
    if (!encryption) return null;
    const accounts = encryption.accounts.map((account) => {
      const problems = Object.entries(account.problems);
      const text = problems.length
        ? problems.map(([field, problem]) => `${field}: ${problem}`).join("; ")
        : "decrypted";
      const item = element("li", { testid: "encryption-account", text: `${account.user}: ${text}` });
      item.dataset.decrypted = String(problems.length === 0);
      return item;
    });
    const encoded = Object.entries(encryption.encoded).map(([field, value]) =>
      element("div", { className: "encoded" }, [
        element("span", { className: "encoded-name", text: field }),
        element("code", { className: "encoded-value", testid: "encoded-field", text: value }),
      ]),
    );
    return element("details", { className: "encryption", testid: "encryption" }, [
      element("summary", { text: "End-to-end encrypted" }),
      element("ul", { className: "encryption-accounts" }, accounts),
      ...encoded,
    ]);
  }

  function buildCard(message) {
    const head = element("div", { className: "message-head" }, [
      element("span", { className: "message-app", testid: "message-app", text: message.app }),
      timeElement(message.time, "message-time"),
    ]);
    const title = message.title
      ? element("h3", { className: "message-title", testid: "message-title", text: message.title })
      : null;
    let image = null;
    if (message.attachment_url) {
      image = element("img", {
        className: "message-attachment",
        testid: "message-attachment",
        attrs: { alt: "attachment", loading: "lazy" },
      });
      image.src = message.attachment_url;
    }
    const priority = element("span", {
      className: "chip priority",
      testid: "message-priority",
      text: `${message.priority_label} (${message.priority})`,
    });
    priority.dataset.priority = String(message.priority);
    const sound = element("span", {
      className: "chip",
      testid: "message-sound",
      text: `sound: ${message.sound || "default"}`,
    });
    const devices = message.devices.length
      ? element("span", {
          className: "chip",
          testid: "message-devices",
          text: `to: ${message.devices.join(", ")}`,
        })
      : null;
    const meta = element("div", { className: "message-meta" }, [priority, sound, devices]);
    const card = element("li", { className: "message", testid: "message" }, [
      head,
      title,
      messageBody(message),
      image,
      messageLink(message),
      meta,
      encryptionBlock(message),
      emergencyBlock(message),
    ]);
    card.dataset.id = message.id;
    card.dataset.priority = String(message.priority);
    return card;
  }

  function renderMessages(view) {
    const seen = new Set();
    let previous = null;
    for (const message of view.messages) {
      const signature = JSON.stringify(message);
      let entry = cards.get(message.id);
      if (!entry || entry.signature !== signature) {
        const node = buildCard(message);
        if (entry) entry.node.replaceWith(node);
        entry = { signature, node };
        cards.set(message.id, entry);
      }
      seen.add(message.id);
      const wanted = previous ? previous.nextSibling : list.firstChild;
      if (wanted !== entry.node) list.insertBefore(entry.node, wanted);
      previous = entry.node;
    }
    for (const [id, entry] of cards) {
      if (!seen.has(id)) {
        entry.node.remove();
        cards.delete(id);
      }
    }
    const total = view.total_messages;
    byTestId("message-count").textContent = `${total} message${total === 1 ? "" : "s"}`;
    byTestId("empty").hidden = total > 0;
    const more = byTestId("more-messages");
    more.hidden = total <= view.messages.length;
    more.textContent = `Showing the newest ${view.messages.length} of ${total}.`;
  }

  function licence(device) {
    if (device.trial_ends_at === null) return "Desktop licence";
    if (!device.receiving) return "trial ended: receives nothing";
    return `trial until ${formatTime(device.trial_ends_at)}`;
  }

  function pendingItem(message) {
    const title = message.title
      ? element("strong", { className: "inbox-title", text: message.title })
      : null;
    const meta = element("span", {
      className: "inbox-meta",
      text: `#${message.id} · ${message.app} · priority ${message.priority}${
        message.acked ? " · acked" : ""
      }`,
    });
    const item = element("li", { className: "inbox-message", testid: "inbox-message" }, [
      meta,
      title,
      element("span", { className: "inbox-text", text: message.message }),
    ]);
    item.dataset.id = String(message.id);
    return item;
  }

  function deviceItem(device) {
    const session = element("span", {
      className: "chip session",
      testid: "inbox-session",
      text: device.session,
    });
    session.dataset.session = device.session;
    const head = element("div", { className: "inbox-head" }, [
      element("span", { className: "inbox-name", testid: "inbox-name", text: device.name }),
      session,
      element("span", {
        className: "inbox-count",
        testid: "inbox-count",
        text: `${device.total_pending} pending`,
      }),
    ]);
    const pending = element("ol", { className: "inbox-pending" }, device.pending.map(pendingItem));
    const item = element("li", { className: "inbox-device", testid: "inbox-device" }, [
      head,
      element("span", { className: "inbox-licence", text: licence(device) }),
      pending,
    ]);
    item.dataset.id = device.id;
    return item;
  }

  function renderInbox(devices) {
    const signature = JSON.stringify(devices);
    if (signature === inboxSignature) return;
    inboxSignature = signature;
    byTestId("inbox-list").replaceChildren(...devices.map(deviceItem));
    byTestId("inbox-empty").hidden = devices.length > 0;
  }

  // Re-renders a list only when its data changed.
  const listSignatures = new Map();

  function renderList(testid, items, build) {
    const signature = JSON.stringify(items);
    if (listSignatures.get(testid) === signature) return;
    listSignatures.set(testid, signature);
    byTestId(testid).replaceChildren(...items.map(build));
  }

  function glanceItem(glance) {
    const shown = ["title", "text", "subtext", "count", "percent"]
      .filter((field) => glance[field] !== null)
      .map((field) => `${field}: ${glance[field]}${field === "percent" ? "%" : ""}`);
    return element("li", { className: "plain-item", testid: "glance" }, [
      element("strong", { text: `${glance.user} on ${glance.device || "all devices"}` }),
      element("span", { text: shown.join(" · ") }),
      element("span", { className: "muted", text: `${glance.app}, ${formatTime(glance.updated_at)}` }),
    ]);
  }

  function groupItem(group) {
    const users = group.users.map((user) => {
      const parts = [user.user, user.device ? `on ${user.device}` : "all devices"];
      if (user.memo) parts.push(`“${user.memo}”`);
      if (user.disabled) parts.push("disabled");
      const item = element("li", { testid: "group-user", text: parts.join(" · ") });
      item.dataset.disabled = String(user.disabled);
      return item;
    });
    return element("li", { className: "plain-item", testid: "group" }, [
      element("strong", { text: group.name }),
      element("span", { className: "key", text: group.key }),
      element("ul", { className: "sub-list" }, users),
    ]);
  }

  function subscriptionItem(subscription) {
    const link = element("a", {
      testid: "subscription-page",
      text: subscription.page,
      attrs: { rel: "noopener noreferrer", target: "_blank" },
    });
    link.href = subscription.page;
    const subscribers = subscription.subscribers.map((subscriber) =>
      element("li", {
        testid: "subscriber",
        text: `${subscriber.key} → ${subscriber.user} on ${subscriber.device || "all devices"}`,
      }),
    );
    return element("li", { className: "plain-item", testid: "subscription" }, [
      element("strong", { text: `${subscription.app} (${subscription.kind}-based)` }),
      link,
      element("ul", { className: "sub-list" }, subscribers),
    ]);
  }

  function renderSending(view) {
    renderList("glance-list", view.glances, glanceItem);
    byTestId("glances-empty").hidden = view.glances.length > 0;
    renderList("group-list", view.groups, groupItem);
    renderList("subscription-list", view.subscriptions, subscriptionItem);
  }

  const FAULT_LABELS = [
    ["fail_next", "fail next"],
    ["fail_status", "fail status"],
    ["fail_body", "fail body"],
    ["delay", "delay (s)"],
    ["delay_after_processing", "delay after processing"],
    ["drop_next", "drop next"],
    ["drop_after_processing", "drop after processing"],
    ["malformed_next", "malformed next"],
    ["rate_limit_next", "429 next"],
    ["reject_token", "reject token"],
  ];

  function renderFaults(faults) {
    const current = byTestId("fault-current");
    const rows = [];
    for (const [key, label] of FAULT_LABELS) {
      if (!(key in faults)) continue;
      const value = faults[key];
      const active =
        (typeof value === "number" && value > 0 && key !== "fail_status") || value === true;
      const dd = element("dd", { text: String(value) });
      dd.dataset.fault = key;
      if (active) dd.classList.add("on");
      rows.push(element("dt", { text: label }), dd);
    }
    current.replaceChildren(...rows);
    const reject = byTestId("fault-reject-token");
    if (!reject.disabled) reject.checked = Boolean(faults.reject_token);
  }

  function renderQuota(view) {
    const quota = view.quota;
    const reset = quota.reset ? ` · resets ${formatTime(quota.reset)}` : "";
    byTestId("quota-display").textContent = `${quota.remaining} of ${quota.limit} left${reset}`;
    byTestId("quota-remaining").placeholder = String(quota.remaining);
    byTestId("request-count").textContent = `${view.requests} API request${
      view.requests === 1 ? "" : "s"
    } seen`;
  }

  function credential(label, key, extra) {
    return [
      element("dt", { text: label }),
      element("dd", {}, [
        element("span", { className: "key", testid: "credential-key", text: key }),
        extra ? element("span", { className: "devices", text: extra }) : null,
      ]),
    ];
  }

  function renderAccount(account) {
    const signature = JSON.stringify(account);
    if (signature === accountSignature) return;
    accountSignature = signature;
    const rows = [];
    account.apps.forEach((app, index) => {
      rows.push(...credential(index === 0 ? "App token" : `App token (${app.name})`, app.token));
    });
    account.users.forEach((user, index) => {
      const label = index === 0 ? "User key" : `User key ${index + 1}`;
      rows.push(...credential(label, user.key, `devices: ${user.devices.join(", ")}`));
      if (user.encryption_key) {
        rows.push(...credential(`Encryption key (${label.toLowerCase()})`, user.encryption_key));
      }
    });
    for (const group of account.groups) {
      rows.push(...credential("Group key", group.key, `${group.members.length} members`));
    }
    for (const login of account.logins) {
      const extra = [`password: ${login.password}`];
      if (login.twofa_code) extra.push(`2FA code: ${login.twofa_code}`);
      if (!login.desktop) extra.push("no Desktop licence");
      rows.push(...credential("Open Client login", login.email, extra.join(" · ")));
    }
    byTestId("credentials-list").replaceChildren(...rows);
  }

  function render(view) {
    simulatorNow = view.now;
    renderMessages(view);
    renderInbox(view.inbox);
    renderFaults(view.faults);
    renderQuota(view);
    renderAccount(view.account);
    renderSending(view);
  }

  function notify(text, kind = "info") {
    const notice = byTestId("notice");
    notice.textContent = text;
    notice.dataset.kind = kind;
    notice.hidden = false;
    window.clearTimeout(noticeTimer);
    noticeTimer = window.setTimeout(() => {
      notice.hidden = true;
    }, 4000);
  }

  async function control(method, path, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (error) {
      notify(`Request failed: ${error}`, "error");
      return null;
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const errors = data && Array.isArray(data.errors) ? data.errors.join("; ") : "";
      notify(`${response.status}: ${errors || response.statusText}`, "error");
      return null;
    }
    return data;
  }

  async function acknowledge(button, receipt) {
    button.disabled = true;
    const result = await control("POST", "/_sim/acknowledge", {
      receipt: receipt.id,
      user: receipt.ack_user,
      device: receipt.ack_device,
    });
    if (result) {
      notify(`Acknowledged on ${receipt.ack_device}`);
    } else {
      button.disabled = false;
    }
  }

  function count(testid) {
    const value = Number(byTestId(testid).value);
    if (!Number.isInteger(value) || value < 0) {
      notify("Enter a whole number of 0 or more", "error");
      return null;
    }
    return value;
  }

  const PUSH_ACTIONS = {
    "push-drop": ["drop", "Dropped"],
    "push-reload": ["reload", "Sent R to"],
    "push-error": ["error", "Sent E to"],
    "push-elsewhere": ["elsewhere", "Sent A to"],
    "push-silence": ["silence", "Silenced"],
    "push-resume": ["resume", "Resumed"],
  };

  async function steerPush(action) {
    const [name, done] = PUSH_ACTIONS[action];
    const result = await control("POST", "/_sim/push", { action: name });
    if (result) {
      notify(`${done} ${result.sessions} push session${result.sessions === 1 ? "" : "s"}`);
    }
  }

  const COUNTERS = {
    drop: ["fault-drop-count", "drop_next"],
    malformed: ["fault-malformed-count", "malformed_next"],
    "rate-limit": ["fault-429-count", "rate_limit_next"],
  };

  async function act(action) {
    if (action in PUSH_ACTIONS) {
      await steerPush(action);
    } else if (action === "fail") {
      const next = count("fault-fail-count");
      if (next === null) return;
      const status = Number(byTestId("fault-fail-status").value);
      if (await control("POST", "/_sim/faults", { fail_next: next, fail_status: status })) {
        notify(`Failing the next ${next} with ${status}`);
      }
    } else if (action === "delay") {
      const seconds = Number(byTestId("fault-delay").value);
      if (!Number.isFinite(seconds) || seconds < 0) {
        notify("Enter a delay of 0 seconds or more", "error");
        return;
      }
      if (await control("POST", "/_sim/faults", { delay: seconds })) {
        notify(`Delay set to ${seconds}s`);
      }
    } else if (action in COUNTERS) {
      const [testid, key] = COUNTERS[action];
      const next = count(testid);
      if (next === null) return;
      if (await control("POST", "/_sim/faults", { [key]: next })) {
        notify(`${key} set to ${next}`);
      }
    } else if (action === "reset-faults") {
      if (await control("DELETE", "/_sim/faults")) notify("Faults reset");
    } else if (action === "remaining") {
      const remaining = count("quota-remaining");
      if (remaining === null) return;
      if (await control("POST", "/_sim/remaining", { remaining })) {
        notify(`Remaining quota set to ${remaining}`);
      }
    }
  }

  function wirePanel() {
    for (const button of document.querySelectorAll(".side button[data-action]")) {
      button.addEventListener("click", () => act(button.dataset.action));
    }
    const reject = byTestId("fault-reject-token");
    reject.addEventListener("change", async () => {
      reject.disabled = true;
      const wanted = reject.checked;
      const result = await control("POST", "/_sim/faults", { reject_token: wanted });
      reject.disabled = false;
      if (result) {
        reject.checked = Boolean(result.reject_token);
        notify(wanted ? "Rejecting every app token" : "Accepting app tokens");
      } else {
        reject.checked = !wanted;
      }
    });
  }

  function setConnection(state, text) {
    const indicator = byTestId("connection-status");
    indicator.dataset.state = state;
    indicator.textContent = text;
  }

  function connect() {
    const source = new EventSource(EVENTS_URL);
    source.addEventListener("open", () => setConnection("live", "live"));
    source.addEventListener("state", (event) => {
      setConnection("live", "live");
      render(JSON.parse(event.data));
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        setConnection("offline", "offline");
        window.setTimeout(connect, 3000);
      } else {
        setConnection("connecting", "reconnecting…");
      }
    });
  }

  async function start() {
    wirePanel();
    try {
      const response = await fetch(VIEW_URL);
      if (response.ok) render(await response.json());
    } catch {
      // The event stream will bring the state once the simulator answers.
    }
    connect();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

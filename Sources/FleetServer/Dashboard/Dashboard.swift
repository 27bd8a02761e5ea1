//===----------------------------------------------------------------------===//
//
// This source file is part of the Hyperward open source project
//
// Copyright (c) 2026 the Hyperward project authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

import Foundation
import HTTPTypes
import Hummingbird
import HyperwardCore
import Logging
import NIOCore

/// The dashboard: server-rendered pages under `/ui/`, no JavaScript. People sign in with their
/// API token, which starts a session (an `__Host-` cookie: Secure, HttpOnly, SameSite=Strict);
/// every form carries the session's CSRF token and every POST is also checked for a same-origin
/// `Origin`. A strict Content-Security-Policy allows only the server's own stylesheet.
struct Dashboard: Sendable {
    let database: FleetDatabase
    let logger: Logger
    let addressLimit: RateLimiter
    /// Requests an action (the API's own path, so the host's long-poll is woken).
    let requestAction: @Sendable (_ host: String, _ kind: FleetActionKind, _ vm: String?, _ reason: String, _ user: String) throws -> FleetAction

    static let cookieName = "__Host-hw_session"
    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func register(on router: Router<FleetRequestContext>) {
        router.get("/") { _, _ in redirect("/ui/hosts") }
        router.get("/ui") { _, _ in redirect("/ui/hosts") }
        router.get("/ui/style.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: HTML.stylesheet)))
        }
        router.get("/ui/login") { _, _ in page(HTML.page(title: "Sign in", session: nil, Self.loginForm(message: nil))) }
        router.post("/ui/login") { request, context in try await login(request, context) }
        router.post("/ui/logout") { request, context in
            let (session, id) = try requireSession(request)
            let form = try await formFields(request, context)
            try checkForm(request, form, session)
            try database.endSession(id: id)
            var response = redirect("/ui/login")
            response.headers[.setCookie] = "\(Self.cookieName)=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"
            return response
        }
        router.get("/ui/hosts") { request, _ in try hostsPage(request) }
        router.get("/ui/hosts/:name") { request, context in try hostPage(request, name: context.parameters.get("name") ?? "") }
        router.get("/ui/alerts") { request, _ in try eventsPage(request, alertsOnly: true) }
        router.get("/ui/events") { request, _ in try eventsPage(request, alertsOnly: false) }
        router.post("/ui/events/:id/ack") { request, context in try await acknowledge(request, context, id: context.parameters.get("id") ?? "") }
        router.post("/ui/hosts/:name/actions") { request, context in
            let (session, _) = try requireSession(request)
            let form = try await formFields(request, context)
            try checkForm(request, form, session)
            guard session.role >= .operator else { throw FleetProblem(.forbidden, "actions need the operator role; \(session.user) is \(session.role.rawValue)") }
            let name = context.parameters.get("name") ?? ""
            guard let kind = form["kind"].flatMap(FleetActionKind.init(rawValue:)) else { throw FleetProblem(.badRequest, "choose an action") }
            let vm = form["vm"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
            _ = try requestAction(name, kind, kind == .audit ? nil : vm, form["reason"] ?? "", session.user)
            return redirect("/ui/hosts/\(HTML.path(name))#actions")
        }
    }

    // MARK: Sessions, forms, answers

    /// The session the request's cookie names, or a redirect to the sign-in page.
    func requireSession(_ request: Request) throws -> (FleetDatabase.Session, String) {
        let cookies = request.headers[values: .cookie].flatMap { $0.split(separator: ";") }
        for cookie in cookies {
            let parts = cookie.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == Self.cookieName, let session = try database.session(id: String(parts[1])) {
                return (session, String(parts[1]))
            }
        }
        throw DashboardRedirect(location: "/ui/login")
    }

    func login(_ request: Request, _ context: FleetRequestContext) async throws -> Response {
        try sameOrigin(request)
        let form = try await formFields(request, context)
        let address = "address:" + (context.channel.remoteAddress?.ipAddress ?? "unknown")
        guard let token = form["token"]?.trimmingCharacters(in: .whitespaces), let started = try database.startSession(token: token) else {
            if let wait = addressLimit.take(address) {
                throw FleetProblem(.tooManyRequests, "too many sign-in attempts; try again in \(wait) s", retryAfter: wait)
            }
            logger.warning("dashboard sign-in refused", metadata: ["fleet.address": "\(address)"])
            return page(HTML.page(title: "Sign in", session: nil, Self.loginForm(message: "That token is not valid.")), status: .unauthorized)
        }
        logger.notice("dashboard sign-in", metadata: ["fleet.user": "\(started.session.user)"])
        var response = redirect("/ui/hosts")
        response.headers[.setCookie] = "\(Self.cookieName)=\(started.id); Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=\(Int(FleetDatabase.sessionLifetime))"
        return response
    }

    /// A POST comes from this server's own pages: its `Origin` (when sent) is this server.
    func sameOrigin(_ request: Request) throws {
        if let origin = request.headers[.origin] {
            guard let host = request.head.authority, origin == "https://" + host else {
                throw FleetProblem(.forbidden, "cross-origin form posts are refused")
            }
        }
        if let name = Self.fetchSite, let site = request.headers[name], site != "same-origin", site != "none" {
            throw FleetProblem(.forbidden, "cross-site form posts are refused")
        }
    }

    /// The form's CSRF token matches the session's, and the post is same-origin.
    func checkForm(_ request: Request, _ form: [String: String], _ session: FleetDatabase.Session) throws {
        try sameOrigin(request)
        guard let token = form["csrf"], Self.constantTimeEqual(token, session.csrf) else {
            throw FleetProblem(.forbidden, "the form's CSRF token is missing or wrong; reload the page and try again")
        }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// An `application/x-www-form-urlencoded` body (at most 16 KiB).
    func formFields(_ request: Request, _ context: FleetRequestContext) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 16 << 10)
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    func page(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        if let name = Self.referrerPolicy { headers[name] = "same-origin" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func loginForm(message: String?) -> String {
        """
        <section class="login">
        <h1>Sign in</h1>
        \(message.map { "<p class=\"notice\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
        <form method="post" action="/ui/login">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" required placeholder="hwk_…">
        <button type="submit">Sign in</button>
        </form>
        <p class="muted">An administrator makes your token with <code>hyperward server user add NAME --role viewer|operator|admin</code>.</p>
        </section>
        """
    }

    // MARK: Pages

    func hostsPage(_ request: Request) throws -> Response {
        let (session, _) = try requireSession(request)
        let query = request.uri.queryParameters
        let group = query.get("group").flatMap { $0.isEmpty ? nil : $0 }
        let search = query.get("q").flatMap { $0.isEmpty ? nil : $0.lowercased() }
        let sort = query.get("sort") ?? "name"
        let all = try database.hostSummaries()
        var summaries = all
        let groups = Set(summaries.map(\.host.group)).sorted()
        if let group { summaries = summaries.filter { $0.host.group == group } }
        if let search { summaries = summaries.filter { $0.host.name.lowercased().contains(search) } }
        switch sort {
        case "alerts": summaries.sort { ($0.alerts24h, $1.host.name) > ($1.alerts24h, $0.host.name) }
        case "score": summaries.sort { ($0.score ?? 101, $0.host.name) < ($1.score ?? 101, $1.host.name) }
        case "seen": summaries.sort { ($0.host.lastSeen ?? "") > ($1.host.lastSeen ?? "") }
        default: summaries.sort { $0.host.name < $1.host.name }
        }
        let alerts = all.reduce(0) { $0 + $1.alerts24h }
        let failedAttestation = all.filter { $0.attested == false }.count
        let inconsistent = all.filter(\.ledgerInconsistent).count
        let scores = all.compactMap(\.score)
        var html = "<h1>Fleet</h1>"
        html += """
            <div class="cards">
            <div class="card"><b>\(all.count)</b><span>hosts</span></div>
            <div class="card"><b>\(scores.isEmpty ? "—" : String(scores.reduce(0, +) / scores.count))</b><span>mean posture score</span></div>
            <div class="card"><b>\(alerts)</b><span>high/critical alerts, 24 h</span></div>
            <div class="card"><b class="\(failedAttestation > 0 ? "bad" : "")">\(failedAttestation)</b><span>failed attestation</span></div>
            <div class="card"><b class="\(inconsistent > 0 ? "bad" : "")">\(inconsistent)</b><span>ledger refused</span></div>
            </div>
            """
        let perHour = try database.alertsPerHour()
        html += HTML.barChart(perHour.map { (String($0.hour.suffix(2)) + "h", $0.count) }, title: "High and critical alerts per hour, last 24 hours (fleet)", unit: "alerts")
        html += "<form class=\"filters\" method=\"get\" action=\"/ui/hosts\">"
        html += "<label>Search<input name=\"q\" value=\"\(HTML.escape(query.get("q") ?? ""))\" placeholder=\"host name\"></label>"
        html += "<label>Group<select name=\"group\"><option value=\"\">all</option>"
        for g in groups { html += "<option\(g == group ? " selected" : "")>\(HTML.escape(g))</option>" }
        html += "</select></label><label>Sort<select name=\"sort\">"
        for (value, label) in [("name", "name"), ("alerts", "most alerts"), ("score", "lowest score"), ("seen", "last seen")] {
            html += "<option value=\"\(value)\"\(value == sort ? " selected" : "")>\(label)</option>"
        }
        html += "</select></label><button type=\"submit\">Apply</button></form>"
        html += "<div class=\"table\"><table id=\"hosts\"><thead><tr><th>Host</th><th>Group</th><th>Score</th><th class=\"hide-narrow\">Failing</th><th>Alerts 24 h</th><th>Attestation</th><th class=\"hide-narrow\">Ledger</th><th>Last seen</th></tr></thead><tbody>"
        for s in summaries {
            let attestation = s.attested.map { $0 ? "<span class=\"ok\">verified</span>" : "<span class=\"bad\">failed</span>" } ?? "<span class=\"muted\">none</span>"
            let ledger = s.ledgerInconsistent ? "<span class=\"bad\">refused</span>" : s.ledgerSize.map { "<span class=\"ok\">\($0)</span>" } ?? "<span class=\"muted\">none</span>"
            let seen = s.host.revokedAt != nil ? "<span class=\"bad\">revoked</span>" : HTML.escape(HTML.ago(s.host.lastSeen))
            html += "<tr data-host=\"\(HTML.escape(s.host.name))\"><td><a href=\"/ui/hosts/\(HTML.path(s.host.name))\">\(HTML.escape(s.host.name))</a></td>"
            html += "<td>\(HTML.escape(s.host.group))</td><td class=\"num\">\(s.score.map(String.init) ?? "—")</td>"
            html += "<td class=\"num hide-narrow\">\(s.failing.map(String.init) ?? "—")</td><td class=\"num\">\(s.alerts24h)</td>"
            html += "<td>\(attestation)</td><td class=\"hide-narrow\">\(ledger)</td><td>\(seen)</td></tr>"
        }
        if summaries.isEmpty { html += "<tr><td colspan=\"8\" class=\"muted\">No host matches. Enroll one with <code>hyperward agent enroll</code>.</td></tr>" }
        html += "</tbody></table></div>"
        return page(HTML.page(title: "Fleet", session: session, active: "hosts", html))
    }

    func hostPage(_ request: Request, name: String) throws -> Response {
        let (session, _) = try requireSession(request)
        guard let summary = try database.hostSummaries(host: name).first else {
            return page(HTML.page(title: "No such host", session: session, "<h1>No such host</h1><p><a href=\"/ui/hosts\">All hosts</a></p>"), status: .notFound)
        }
        var html = "<h1>\(HTML.escape(name))</h1>"
        html += """
            <div class="cards">
            <div class="card"><b>\(summary.score.map(String.init) ?? "—")</b><span>posture score</span></div>
            <div class="card"><b>\(summary.alerts24h)</b><span>alerts, 24 h</span></div>
            <div class="card"><b>\(summary.attested.map { $0 ? "verified" : "failed" } ?? "none")</b><span>attestation</span></div>
            <div class="card"><b>\(summary.ledgerInconsistent ? "refused" : summary.ledgerSize.map(String.init) ?? "none")</b><span>witnessed ledger</span></div>
            <div class="card"><b>\(HTML.escape(HTML.ago(summary.host.lastSeen)))</b><span>last seen · group \(HTML.escape(summary.host.group))</span></div>
            </div>
            """
        let history = try database.scoreHistory(host: name)
        if !history.isEmpty {
            html += HTML.barChart(history.map { (String($0.time.dropFirst(11).prefix(5)), $0.score) }, title: "Posture score per audit", unit: "points", maximum: 100)
        }
        html += HTML.barChart(try database.alertsPerHour(host: name).map { (String($0.hour.suffix(2)) + "h", $0.count) },
                              title: "High and critical alerts per hour, last 24 hours", unit: "alerts")
        let findings = try database.currentFindings(host: name)
        let threats = [("T1", "VM escape"), ("T2", "Malicious VMs"), ("T3", "Hypervisor vulnerabilities"), ("T4", "Side channels"), ("T5", "Network threats")]
        html += "<h2>Findings by threat</h2>"
        for (code, title) in threats + [("", "Other")] {
            let these = findings.filter { ($0.threat ?? "") == code || (code == "" && !threats.map(\.0).contains($0.threat ?? "")) }
            guard !these.isEmpty else { continue }
            html += "<h3 id=\"threat-\(code.isEmpty ? "other" : code)\">\(code.isEmpty ? "" : code + " · ")\(HTML.escape(title)) <small class=\"muted\">(\(these.count))</small></h3>"
            html += "<div class=\"table\"><table class=\"findings\"><thead><tr><th>Severity</th><th>Finding</th><th>Status</th><th>Evidence and fix</th></tr></thead><tbody>"
            for f in these {
                html += "<tr><td>\(HTML.severityBadge(f.severity))</td><td><code>\(HTML.escape(f.key))</code></td><td>\(HTML.escape(f.status))</td><td>\(HTML.escape(f.detail))</td></tr>"
            }
            html += "</tbody></table></div>"
        }
        if findings.isEmpty { html += "<p class=\"muted\">No failing or warning findings in the host's latest audit.</p>" }
        html += "<h2 id=\"actions\">Actions</h2>"
        if session.role >= .operator && summary.host.revokedAt == nil {
            html += """
                <form class="filters action" method="post" action="/ui/hosts/\(HTML.path(name))/actions">
                <input type="hidden" name="csrf" value="\(HTML.escape(session.csrf))">
                <label>Action<select name="kind"><option value="audit">audit now</option><option value="quarantine">quarantine a VM</option><option value="release">release a VM</option></select></label>
                <label>VM<input name="vm" placeholder="libvirt domain" maxlength="200"></label>
                <label>Reason<input name="reason" required maxlength="500" placeholder="why"></label>
                <button type="submit">Request</button>
                </form>
                """
        }
        let actions = try database.actions(host: name, limit: 20)
        html += "<div class=\"table\"><table class=\"actions\"><thead><tr><th>Requested</th><th>Action</th><th>By</th><th>State</th><th>Result</th></tr></thead><tbody>"
        for a in actions {
            let state = a.state == .succeeded ? "<span class=\"ok\">succeeded</span>" : a.state == .failed ? "<span class=\"bad\">failed</span>" : HTML.escape(a.state.rawValue)
            html += "<tr data-action=\"\(HTML.escape(a.id))\" data-state=\"\(a.state.rawValue)\"><td>\(HTML.escape(String(a.requestedAt.prefix(19)).replacingOccurrences(of: "T", with: " ")))</td>"
            html += "<td>\(HTML.escape(a.kind.rawValue))\(a.vm.map { " " + HTML.escape($0) } ?? "")<div class=\"ackd\">\(HTML.escape(a.reason))</div></td>"
            html += "<td>\(HTML.escape(a.requestedBy))</td><td>\(state)</td><td>\(HTML.escape(a.result ?? ""))</td></tr>"
        }
        if actions.isEmpty { html += "<tr><td colspan=\"5\" class=\"muted\">No action requested yet.</td></tr>" }
        html += "</tbody></table></div>"
        html += "<h2>Latest events</h2>"
        html += eventsTable(try database.listedEvents(host: name, limit: 50), session: session, back: "/ui/hosts/\(HTML.path(name))")
        return page(HTML.page(title: name, session: session, active: "hosts", html))
    }

    func eventsPage(_ request: Request, alertsOnly: Bool) throws -> Response {
        let (session, _) = try requireSession(request)
        let query = request.uri.queryParameters
        func value(_ key: String) -> String? { query.get(key).flatMap { $0.isEmpty ? nil : String($0.prefix(128)) } }
        let severity = value("severity").flatMap { Severity(rawValue: $0) != nil ? $0 : nil }
        let hours = value("hours").flatMap(Int.init).map { min(max($0, 1), 24 * 90) }
        let since = hours.map { Event.timestamp(Date().addingTimeInterval(-Double($0) * 3600)) }
        let events = try database.listedEvents(host: value("host"), kind: value("kind"), severity: severity, engine: value("engine"),
                                               vm: value("vm"), alertsOnly: alertsOnly, since: since, limit: 200)
        let title = alertsOnly ? "Alerts" : "Events"
        let path = alertsOnly ? "/ui/alerts" : "/ui/events"
        var html = "<h1>\(title)</h1>"
        if alertsOnly { html += "<p class=\"muted\">High and critical events that are not posture findings.</p>" }
        html += "<form class=\"filters\" method=\"get\" action=\"\(path)\">"
        for (key, label) in [("host", "Host"), ("engine", "Detector"), ("vm", "VM")] + (alertsOnly ? [] : [("kind", "Kind")]) {
            html += "<label>\(label)<input name=\"\(key)\" value=\"\(HTML.escape(value(key) ?? ""))\"></label>"
        }
        html += "<label>Severity<select name=\"severity\"><option value=\"\">any</option>"
        for s in ["critical", "high", "medium", "low", "info"] { html += "<option\(s == severity ? " selected" : "")>\(s)</option>" }
        html += "</select></label><label>Within<select name=\"hours\"><option value=\"\">any time</option>"
        for (h, label) in [(1, "1 hour"), (24, "24 hours"), (168, "7 days"), (720, "30 days")] {
            html += "<option value=\"\(h)\"\(h == hours ? " selected" : "")>\(label)</option>"
        }
        html += "</select></label><button type=\"submit\">Filter</button></form>"
        var back = path
        let filters = query.map { "\($0.key)=\(HTML.query(String($0.value)))" }
        if !filters.isEmpty { back += "?" + filters.joined(separator: "&") }
        html += eventsTable(events, session: session, back: back)
        return page(HTML.page(title: title, session: session, active: alertsOnly ? "alerts" : "events", html))
    }

    /// Events with their acknowledgements; operators get the acknowledge form on each alert.
    func eventsTable(_ events: [FleetDatabase.ListedEvent], session: FleetDatabase.Session, back: String) -> String {
        var html = "<div class=\"table\"><table class=\"events\"><thead><tr><th>Time</th><th>Host</th><th>Severity</th><th class=\"hide-narrow\">Kind</th><th>What</th></tr></thead><tbody>"
        for e in events {
            html += "<tr data-event=\"\(HTML.escape(e.id))\"><td>\(HTML.escape(String(e.time.prefix(19)).replacingOccurrences(of: "T", with: " ")))</td>"
            html += "<td><a href=\"/ui/hosts/\(HTML.path(e.host))\">\(HTML.escape(e.host))</a>\(e.vm.map { " · " + HTML.escape($0) } ?? "")</td>"
            html += "<td>\(HTML.severityBadge(e.severity))</td><td class=\"hide-narrow\"><code>\(HTML.escape(e.kind))</code></td><td>\(HTML.escape(e.summary))"
            if let ack = e.acknowledgement {
                html += "<div class=\"ackd\">\(ack.falsePositive ? "False positive" : "Acknowledged") by \(HTML.escape(ack.by)): \(HTML.escape(ack.reason))"
                html += (ack.expiresAt.map { " · until \(HTML.escape(String($0.prefix(16)).replacingOccurrences(of: "T", with: " ")))" } ?? "") + "</div>"
            } else if session.role >= .operator, let severity = e.severity, ["medium", "high", "critical"].contains(severity) {
                html += """
                    <form class="ack" method="post" action="/ui/events/\(HTML.path(e.id))/ack">
                    <input type="hidden" name="csrf" value="\(HTML.escape(session.csrf))">
                    <input type="hidden" name="back" value="\(HTML.escape(back))">
                    <input type="text" name="reason" required maxlength="500" placeholder="reason" aria-label="Reason">
                    <select name="expires" aria-label="For"><option value="3600">1 h</option><option value="86400" selected>24 h</option><option value="604800">7 d</option><option value="">no expiry</option></select>
                    <label><input type="checkbox" name="false_positive" value="on"> false positive</label>
                    <button type="submit">Acknowledge</button>
                    </form>
                    """
            }
            html += "</td></tr>"
        }
        if events.isEmpty { html += "<tr><td colspan=\"5\" class=\"muted\">Nothing matches.</td></tr>" }
        return html + "</tbody></table></div>"
    }

    func acknowledge(_ request: Request, _ context: FleetRequestContext, id: String) async throws -> Response {
        let (session, _) = try requireSession(request)
        let form = try await formFields(request, context)
        try checkForm(request, form, session)
        guard session.role >= .operator else { throw FleetProblem(.forbidden, "acknowledging needs the operator role; \(session.user) is \(session.role.rawValue)") }
        let expires = form["expires"].flatMap { $0.isEmpty ? nil : TimeInterval($0) }
        try database.acknowledge(eventID: id, by: session.user, reason: form["reason"] ?? "", falsePositive: form["false_positive"] == "on", expiresIn: expires)
        logger.notice("alert acknowledged", metadata: ["fleet.user": "\(session.user)", "fleet.event": "\(id)"])
        let back = form["back"].flatMap { $0.hasPrefix("/ui/") && !$0.contains("//") ? $0 : nil } ?? "/ui/alerts"
        return redirect(back)
    }
}

/// Sent where a page needs a session it does not have: answered with a redirect to sign in.
struct DashboardRedirect: Error {
    var location: String
}

func redirect(_ location: String) -> Response {
    var headers = HTTPFields()
    headers[.location] = location
    return Response(status: .seeOther, headers: headers)
}

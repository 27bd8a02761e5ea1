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

/// Server-rendered HTML: text escaped once, here, and a page layout. No JavaScript anywhere.
enum HTML {
    /// Text escaped for element content and double-quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters (but tab and newline) never reach the page.
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" || (0x7F...0x9F).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A query-string component, percent-encoded.
    static func query(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A path component (a host's name is already restricted to `[A-Za-z0-9._-]`).
    static func path(_ text: String) -> String { query(text) }

    /// The whole page: header with navigation and the signed-in user, the content, a footer.
    static func page(title: String, session: FleetDatabase.Session?, active: String = "", _ content: String) -> String {
        var nav = ""
        if let session {
            nav = """
                <nav aria-label="Main">
                  <a href="/ui/hosts"\(active == "hosts" ? " aria-current=\"page\"" : "")>Hosts</a>
                  <a href="/ui/alerts"\(active == "alerts" ? " aria-current=\"page\"" : "")>Alerts</a>
                  <a href="/ui/events"\(active == "events" ? " aria-current=\"page\"" : "")>Events</a>
                </nav>
                <form class="who" method="post" action="/ui/logout">
                  <span>\(escape(session.user)) <small>(\(session.role.rawValue))</small></span>
                  <input type="hidden" name="csrf" value="\(escape(session.csrf))">
                  <button type="submit">Sign out</button>
                </form>
                """
        }
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · Hyperward</title>
            <link rel="stylesheet" href="/ui/style.css">
            </head>
            <body>
            <header><a class="brand" href="/ui/hosts">Hyperward <span>fleet</span></a>\(nav)</header>
            <main>
            \(content)
            </main>
            <footer>Hyperward fleet server · times in UTC</footer>
            </body>
            </html>
            """
    }

    static func severityBadge(_ severity: String?) -> String {
        guard let severity else { return "<span class=\"sev sev-none\">—</span>" }
        return "<span class=\"sev sev-\(escape(severity))\">\(escape(severity))</span>"
    }

    /// "3 min ago" style, from an RFC 3339 time.
    static func ago(_ time: String?, now: Date = Date()) -> String {
        guard let time, let date = parseTime(time) else { return "never" }
        let seconds = Int(now.timeIntervalSince(date))
        if seconds < 60 { return "\(max(seconds, 0)) s ago" }
        if seconds < 3600 { return "\(seconds / 60) min ago" }
        if seconds < 86_400 { return "\(seconds / 3600) h ago" }
        return "\(seconds / 86_400) d ago"
    }

    static func parseTime(_ time: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: time) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: time)
    }

    /// A bar chart as inline SVG (no script, no external resource): one bar per value, labelled.
    static func barChart(_ values: [(label: String, value: Int)], title: String, unit: String, maximum: Int? = nil) -> String {
        let width = 720, height = 180, left = 36, bottom = 28, top = 12
        let top_ = max(maximum ?? (values.map(\.value).max() ?? 0), 1)
        let plotWidth = width - left - 8, plotHeight = height - bottom - top
        // At most 48 units a bar, so one audit is not one wall of colour.
        let step = values.isEmpty ? 0 : min(Double(plotWidth) / Double(values.count), 48)
        var bars = ""
        for (index, item) in values.enumerated() {
            let h = Int((Double(item.value) / Double(top_) * Double(plotHeight)).rounded())
            let x = Double(left) + Double(index) * step
            bars += "<rect x=\"\(String(format: "%.1f", x + 1))\" y=\"\(top + plotHeight - h)\" width=\"\(String(format: "%.1f", max(step - 2, 1)))\" height=\"\(h)\" class=\"bar\"><title>\(escape(item.label)): \(item.value) \(escape(unit))</title></rect>"
            if values.count <= 12 || index % max(values.count / 6, 1) == 0 {
                bars += "<text x=\"\(String(format: "%.1f", x + step / 2))\" y=\"\(height - 8)\" class=\"tick\" text-anchor=\"middle\">\(escape(item.label))</text>"
            }
        }
        return """
            <figure class="chart">
            <svg viewBox="0 0 \(width) \(height)" role="img" aria-label="\(escape(title))" preserveAspectRatio="none">
            <line x1="\(left)" y1="\(top + plotHeight)" x2="\(width - 8)" y2="\(top + plotHeight)" class="axis"/>
            <text x="\(left - 6)" y="\(top + 10)" class="tick" text-anchor="end">\(top_)</text>
            <text x="\(left - 6)" y="\(top + plotHeight)" class="tick" text-anchor="end">0</text>
            \(bars)
            </svg>
            <figcaption>\(escape(title))</figcaption>
            </figure>
            """
    }

    static let stylesheet = """
        :root { --bg: #f6f7f9; --fg: #1c2330; --muted: #5b6577; --line: #dde1e8; --card: #fff; --accent: #1f5fbf;
                --crit: #a3171c; --high: #d9480f; --med: #b58400; --low: #2b7a3d; --info: #5b6577; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .6rem 1.2rem; background: #14213d; color: #fff; }
        header a { color: #dfe7f5; text-decoration: none; }
        .brand { font-weight: 700; font-size: 1.1rem; color: #fff; }
        .brand span { font-weight: 400; opacity: .75; }
        nav { display: flex; gap: 1rem; flex: 1; }
        nav a[aria-current] { color: #fff; border-bottom: 2px solid #8fb3ff; }
        .who { display: flex; gap: .6rem; align-items: center; margin: 0; color: #dfe7f5; }
        main { max-width: 1240px; margin: 0 auto; padding: 1rem 1.2rem 2rem; }
        h1 { font-size: 1.4rem; margin: .4rem 0 1rem; }
        h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .8rem; margin-bottom: 1rem; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .7rem .9rem; }
        .card b { display: block; font-size: 1.5rem; }
        .card span { color: var(--muted); font-size: .85rem; }
        .table { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
        table { width: 100%; border-collapse: collapse; }
        th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); white-space: nowrap; }
        th a { color: inherit; }
        tr:last-child td { border-bottom: 0; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        a { color: var(--accent); }
        .sev { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; color: #fff; background: var(--info); }
        .sev-critical { background: var(--crit); } .sev-high { background: var(--high); } .sev-medium { background: var(--med); }
        .sev-low { background: var(--low); } .sev-none { background: transparent; color: var(--muted); }
        .ok { color: var(--low); font-weight: 600; } .bad { color: var(--crit); font-weight: 600; } .muted { color: var(--muted); }
        form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: 0 0 1rem; }
        form.filters label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); }
        input, select, button { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--fg); }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        .who button { background: transparent; border-color: #8fa3c7; color: #fff; }
        form.ack { display: flex; flex-wrap: wrap; gap: .3rem; margin-top: .3rem; }
        form.ack input[type=text] { min-width: 10rem; }
        .ackd { font-size: .85rem; color: var(--muted); }
        .chart { margin: 0 0 1rem; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .6rem; }
        .chart svg { width: 100%; height: 180px; }
        .chart .bar { fill: var(--accent); } .chart .axis { stroke: var(--line); } .chart .tick { font-size: 10px; fill: var(--muted); }
        figcaption { font-size: .85rem; color: var(--muted); }
        .login { max-width: 420px; margin: 3rem auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1.4rem; }
        .login input { width: 100%; margin: .4rem 0 1rem; }
        .notice { padding: .6rem .9rem; border-radius: 6px; background: #fff4e5; border: 1px solid #f0c36d; margin-bottom: 1rem; }
        footer { text-align: center; color: var(--muted); font-size: .8rem; padding: 1rem; }
        @media (max-width: 640px) { header { padding: .5rem .8rem; } main { padding: .6rem; } th, td { padding: .35rem .45rem; }
          .hide-narrow { display: none; } }
        """
}

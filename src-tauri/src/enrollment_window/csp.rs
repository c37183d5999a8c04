//! The Content-Security-Policy of a page the app serves itself in a counter window (a provider
//! whose card fields need a page the merchant hosts, e.g. Clover's iframe). It is built from the
//! page: only the hosts its `<script src>` load from (the provider's, which then also frames its
//! card fields and is the only one the page may connect to), and the SHA-256 of each of its own
//! inline scripts and styles (CSP Level 2 hash sources, https://www.w3.org/TR/CSP2/#script-src-hash-usage).
//! A provider script that posts the card to another host of the provider (ProcessOut.js to its
//! API) is allowed to connect there when the page names that host in a
//! `<link rel="preconnect" href>`: connecting only, never loading script from it.
//! Anything else a changed or injected page would try — another host, an inline handler, a form
//! posted elsewhere, a plugin — the webview refuses.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// One `<script>` or `<style>` element: its start tag and its text.
struct Element<'a> {
    tag: &'a str,
    body: &'a str,
}

/// The `name` elements of `html`, in order. Tags are matched case-insensitively; an element whose
/// end tag is missing is left out (the browser would not run its text either).
fn elements<'a>(html: &'a str, name: &str) -> Vec<Element<'a>> {
    // ASCII lowercasing keeps every byte offset, so the offsets found in `lower` cut `html`.
    let lower = html.to_ascii_lowercase();
    let open = format!("<{name}");
    let close = format!("</{name}");
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(&open) {
        let start = at + found;
        let after = start + open.len();
        let next = lower.as_bytes().get(after).copied();
        if !matches!(next, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/')) {
            at = after;
            continue;
        }
        let Some(tag_end) = lower[after..].find('>').map(|i| after + i) else {
            break;
        };
        let Some(body_end) = lower[tag_end..].find(&close).map(|i| tag_end + i) else {
            break;
        };
        out.push(Element {
            tag: &html[start..=tag_end],
            body: &html[tag_end + 1..body_end],
        });
        at = body_end + close.len();
    }
    out
}

/// The start tags of the void element `name` (`<link …>`), matched case-insensitively.
fn start_tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(&open) {
        let start = at + found;
        let after = start + open.len();
        if !matches!(
            lower.as_bytes().get(after),
            Some(b' ' | b'\t' | b'\n' | b'\r')
        ) {
            at = after;
            continue;
        }
        let Some(end) = lower[after..].find('>').map(|i| after + i) else {
            break;
        };
        out.push(&html[start..=end]);
        at = end + 1;
    }
    out
}

/// The value of attribute `name` in a start tag, quoted with `"` or `'`, `&amp;` unescaped.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let start = from + found;
        from = start + name.len();
        let before = lower[..start].chars().last();
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let rest = tag[from..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let quote = rest.chars().next()?;
        if quote != '"' && quote != '\'' {
            return rest
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .map(|v| v.replace("&amp;", "&"));
        }
        let value = &rest[1..];
        let end = value.find(quote)?;
        return Some(value[..end].replace("&amp;", "&"));
    }
    None
}

/// `'sha256-…'` of a text as the browser hashes it (its UTF-8 bytes, exactly).
fn hash_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Whether a `<script>` runs as script (not a data block such as `application/json`).
fn runs(tag: &str) -> bool {
    match attribute(tag, "type") {
        None => true,
        Some(kind) => matches!(
            kind.trim().to_ascii_lowercase().as_str(),
            "" | "text/javascript" | "application/javascript" | "module"
        ),
    }
}

/// The origin (`scheme://host[:port]`) of an absolute http(s) address.
fn origin(src: &str) -> Option<String> {
    let url = tauri::Url::parse(src).ok()?;
    if !matches!(url.scheme(), "https" | "http") {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

fn sources(list: &[String]) -> String {
    if list.is_empty() {
        "'none'".into()
    } else {
        list.join(" ")
    }
}

/// The policy for `html`: see the module's comment.
pub fn for_page(html: &str) -> String {
    let mut hosts: Vec<String> = Vec::new();
    let mut scripts: Vec<String> = Vec::new();
    for script in elements(html, "script") {
        if let Some(src) = attribute(script.tag, "src") {
            // A relative or non-http source stays unlisted: the page has no origin of its own
            // to load from, so such a script is refused.
            if let Some(host) = origin(&src) {
                if !hosts.contains(&host) {
                    hosts.push(host);
                }
            }
        } else if runs(script.tag) {
            let hash = hash_source(script.body);
            if !scripts.contains(&hash) {
                scripts.push(hash);
            }
        }
    }
    let styles: Vec<String> = elements(html, "style")
        .iter()
        .map(|s| hash_source(s.body))
        .collect();
    let mut connect = hosts.clone();
    for link in start_tags(html, "link") {
        let preconnect = attribute(link, "rel").is_some_and(|rel| {
            rel.split_whitespace()
                .any(|r| r.eq_ignore_ascii_case("preconnect"))
        });
        if let Some(host) = preconnect
            .then(|| attribute(link, "href"))
            .flatten()
            .and_then(|href| origin(&href))
        {
            if !connect.contains(&host) {
                connect.push(host);
            }
        }
    }
    let mut script_src = hosts.clone();
    script_src.extend(scripts);
    let mut img_src = hosts.clone();
    img_src.push("data:".into());
    format!(
        "default-src 'none'; script-src {script}; style-src {style}; img-src {img}; \
         font-src {hosts}; frame-src {hosts}; connect-src {connect}; form-action 'none'; \
         base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
        connect = sources(&connect),
        script = sources(&script_src),
        style = sources(&styles),
        img = sources(&img_src),
        hosts = sources(&hosts),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<!doctype html><html><head><style>body { color: red; }</style>\
        <script type=\"application/json\" id=\"cfg\">{\"a\":1}</script>\
        <script src=\"https://checkout.sandbox.dev.clover.com/sdk.js?v=1&amp;x=2\"></script>\
        </head><body><SCRIPT>var a = 1;</SCRIPT><script>var b = 2;</script></body></html>";

    #[test]
    fn the_policy_lists_the_script_host_and_the_hashes_of_the_inline_code_only() {
        let policy = for_page(PAGE);
        let directive = |name: &str| -> String {
            policy
                .split(';')
                .map(str::trim)
                .find(|d| d.starts_with(&format!("{name} ")))
                .unwrap_or_default()
                .to_string()
        };
        let host = "https://checkout.sandbox.dev.clover.com";
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        let script = directive("script-src");
        assert!(script.contains(host), "{script}");
        assert!(script.contains(&hash_source("var a = 1;")), "{script}");
        assert!(script.contains(&hash_source("var b = 2;")), "{script}");
        assert!(
            !script.contains(&hash_source("{\"a\":1}")),
            "a data block is not script: {script}"
        );
        assert!(
            !script.contains("'unsafe-inline'") && !script.contains("'unsafe-eval'"),
            "{script}"
        );
        assert_eq!(
            directive("style-src"),
            format!("style-src {}", hash_source("body { color: red; }"))
        );
        assert_eq!(directive("frame-src"), format!("frame-src {host}"));
        assert_eq!(directive("connect-src"), format!("connect-src {host}"));
        assert_eq!(directive("form-action"), "form-action 'none'");
    }

    #[test]
    fn a_preconnect_link_lets_the_page_connect_to_its_host_and_nothing_more() {
        let page = "<html><head><LINK rel=\"preconnect\" href=\"https://api.processout.com\">\
            <link rel=\"stylesheet\" href=\"https://evil.example/x.css\">\
            <script src=\"https://js.processout.com/processout.js\"></script></head></html>";
        let policy = for_page(page);
        let directive = |name: &str| {
            policy
                .split(';')
                .map(str::trim)
                .find(|d| d.starts_with(&format!("{name} ")))
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(
            directive("connect-src"),
            "connect-src https://js.processout.com https://api.processout.com"
        );
        assert_eq!(
            directive("frame-src"),
            "frame-src https://js.processout.com"
        );
        assert!(
            !directive("script-src").contains("api.processout.com"),
            "{policy}"
        );
        assert!(!policy.contains("evil.example"), "{policy}");
    }

    #[test]
    fn a_known_hash_matches_the_browsers() {
        // The CSP2 spec's example: `alert('Hello, world.');` hashes to this value.
        assert_eq!(
            hash_source("alert('Hello, world.');"),
            "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
        );
    }

    #[test]
    fn a_page_without_hosts_or_code_allows_nothing() {
        let policy = for_page("<p>hello</p><script src=\"/local.js\"></script>");
        assert!(policy.contains("script-src 'none'"), "{policy}");
        assert!(policy.contains("frame-src 'none'"), "{policy}");
        assert!(policy.contains("connect-src 'none'"), "{policy}");
        assert!(policy.contains("style-src 'none'"), "{policy}");
    }

    #[test]
    fn a_tag_name_that_only_starts_like_script_is_not_a_script() {
        let policy = for_page("<scripted>x</scripted><script>ok()</script>");
        assert!(policy.contains(&hash_source("ok()")), "{policy}");
        assert_eq!(elements("<scripted>x</scripted>", "script").len(), 0);
    }
}

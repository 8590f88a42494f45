//! Notification content (markdown, untrusted) to HTML that is safe to put
//! into a page: pulldown-cmark parses and renders; this module only
//! decides what may become markup.
//!
//! - Raw HTML in the content is shown as text, never as markup.
//! - Only `http`, `https` and `mailto` links are live; they open in a new
//!   tab with `rel="noopener noreferrer"`. Any other link (`javascript:`,
//!   `data:`, relative, …) is left as its text.
//! - Images are not loaded (they would let content make the browser fetch
//!   anything): an image with an allowed address becomes a link to it.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};
use pulldown_cmark_escape::{escape_href, escape_html};

pub fn render(markdown: &str) -> String {
    let mut open: Vec<bool> = Vec::new();
    let events =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).filter_map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::Link {
                link_type: LinkType::Email,
                dest_url,
                title,
                ..
            }) => {
                // `<ops@example.com>`: the destination is the bare address.
                let dest_url = CowStr::from(format!("mailto:{dest_url}"));
                open.push(true);
                Some(Event::Html(anchor(&dest_url, &title)))
            }
            Event::Start(Tag::Link {
                dest_url, title, ..
            })
            | Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                let live = is_allowed(&dest_url);
                open.push(live);
                live.then(|| Event::Html(anchor(&dest_url, &title)))
            }
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => open
                .pop()
                .unwrap_or(false)
                .then_some(Event::Html(CowStr::Borrowed("</a>"))),
            other => Some(other),
        });
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 2);
    html::push_html(&mut out, events);
    out
}

fn is_allowed(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

fn anchor(url: &str, title: &str) -> CowStr<'static> {
    let mut out = String::from("<a href=\"");
    // Writing to a String cannot fail.
    let _ = escape_href(&mut out, url);
    out.push('"');
    if !title.is_empty() {
        out.push_str(" title=\"");
        let _ = escape_html(&mut out, title);
        out.push('"');
    }
    out.push_str(" target=\"_blank\" rel=\"noopener noreferrer\">");
    CowStr::Boxed(out.into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn emphasis_code_and_links_render() {
        let html = render("Hello *there* `code` [site](https://example.com \"T\")");
        assert_eq!(
            html,
            "<p>Hello <em>there</em> <code>code</code> <a href=\"https://example.com\" title=\"T\" \
             target=\"_blank\" rel=\"noopener noreferrer\">site</a></p>\n"
        );
        assert!(render("<mailto:ops@example.com>").contains("href=\"mailto:ops@example.com\""));
        assert!(render("<ops@example.com>").contains("href=\"mailto:ops@example.com\""));
    }

    #[test]
    fn raw_html_is_text() {
        let html = render("<img src=x onerror=alert(1)> and <script>alert(2)</script>");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        let block = render("<div onclick=\"x()\">\nhi\n</div>");
        assert!(!block.contains("<div"), "{block}");
    }

    #[test]
    fn only_http_https_and_mailto_links_are_live() {
        for dead in [
            "[x](javascript:alert(1))",
            "[x](JavaScript:alert(1))",
            "[x](  javascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox)",
            "[x](/relative)",
            "<javascript:alert(1)>",
            "[x][r]\n\n[r]: javascript:alert(1)",
        ] {
            let html = render(dead);
            assert!(!html.contains("<a"), "{dead} → {html}");
            assert!(!html.contains("href"), "{dead} → {html}");
        }
    }

    #[test]
    fn images_are_never_loaded() {
        let html = render("![alt](https://example.com/x.png) ![bad](javascript:x)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("<a href=\"https://example.com/x.png\""),
            "{html}"
        );
        assert!(html.contains("alt"), "{html}");
    }

    #[test]
    fn attribute_breakouts_are_escaped() {
        let html = render("[x](https://e.com/\"onmouseover=\"alert(1))");
        assert!(!html.contains("\"onmouseover"), "{html}");
    }
}

//! E-mails from handlebars templates, in strict mode: a field the data lacks is an error,
//! never an empty gap in a message to a customer.
//!
//! Each e-mail `name` has three parts in `templates/emails/`: `{name}.subject.hbs`,
//! `{name}.txt.hbs` and `{name}.html.hbs`; the HTML parts are framed by the partial
//! `layout.html.hbs` (`{{#> layout}}…{{/layout}}`). The built-in files are embedded in the
//! binary; a file of the same name in the override directory replaces one.
//!
//! Subject and text are rendered without escaping (they are not HTML), the HTML part with
//! HTML escaping, so the HTML templates use `{{…}}` only, never `{{{…}}}`, on data.
//! All values arrive preformatted by the caller (times in the reader's time zone, money
//! with its currency): templates only arrange them.

use std::path::Path;

use handlebars::Handlebars;
use serde::Serialize;

/// The e-mails there are, with the data each expects (see the templates).
pub const EMAILS: [&str; 5] = ["receipt", "status", "escalation", "oncall_alert", "monthly_report"];

/// The partial that frames every HTML part.
const LAYOUT: &str = "layout";

/// Built-in templates: registry name (`{name}.{part}`) and source.
const BUILT_IN: [(&str, &str); 16] = [
    ("layout.html", include_str!("../../templates/emails/layout.html.hbs")),
    ("receipt.subject", include_str!("../../templates/emails/receipt.subject.hbs")),
    ("receipt.txt", include_str!("../../templates/emails/receipt.txt.hbs")),
    ("receipt.html", include_str!("../../templates/emails/receipt.html.hbs")),
    ("status.subject", include_str!("../../templates/emails/status.subject.hbs")),
    ("status.txt", include_str!("../../templates/emails/status.txt.hbs")),
    ("status.html", include_str!("../../templates/emails/status.html.hbs")),
    ("escalation.subject", include_str!("../../templates/emails/escalation.subject.hbs")),
    ("escalation.txt", include_str!("../../templates/emails/escalation.txt.hbs")),
    ("escalation.html", include_str!("../../templates/emails/escalation.html.hbs")),
    ("oncall_alert.subject", include_str!("../../templates/emails/oncall_alert.subject.hbs")),
    ("oncall_alert.txt", include_str!("../../templates/emails/oncall_alert.txt.hbs")),
    ("oncall_alert.html", include_str!("../../templates/emails/oncall_alert.html.hbs")),
    ("monthly_report.subject", include_str!("../../templates/emails/monthly_report.subject.hbs")),
    ("monthly_report.txt", include_str!("../../templates/emails/monthly_report.txt.hbs")),
    ("monthly_report.html", include_str!("../../templates/emails/monthly_report.html.hbs")),
];

/// Why an e-mail could not be rendered; every variant names the template.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// An override file exists but cannot be read.
    #[error("e-mail template {file} cannot be read: {source}")]
    Read {
        /// The override file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A template does not parse.
    #[error("e-mail template {file} does not parse: {source}")]
    Parse {
        /// The template file (`{name}.{part}.hbs`, with its directory when overridden).
        file: String,
        /// What handlebars said.
        #[source]
        source: Box<handlebars::TemplateError>,
    },
    /// No e-mail of this name exists.
    #[error("there is no e-mail template {name:?}")]
    Unknown {
        /// The name asked for.
        name: String,
    },
    /// Rendering failed, e.g. a field missing from the data (strict mode).
    #[error("e-mail template {template}.hbs failed: {source}")]
    Render {
        /// The template (`{name}.{part}`).
        template: String,
        /// What handlebars said.
        #[source]
        source: Box<handlebars::RenderError>,
    },
}

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line, trimmed.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// Renders the e-mails; built once at start-up, shared read-only.
#[derive(Debug)]
pub struct Renderer {
    /// Subjects and text bodies: no escaping.
    plain: Handlebars<'static>,
    /// HTML bodies and the layout partial: HTML escaping.
    html: Handlebars<'static>,
}

impl Renderer {
    /// Loads the built-in templates, each replaced by `{name}.{part}.hbs` in `override_dir`
    /// when that file exists there.
    pub fn new(override_dir: Option<&Path>) -> Result<Renderer, RenderError> {
        let mut plain = Handlebars::new();
        plain.set_strict_mode(true);
        plain.register_escape_fn(handlebars::no_escape);
        let mut html = Handlebars::new();
        html.set_strict_mode(true);

        for (template, built_in) in BUILT_IN {
            let (source, file) = match override_dir {
                Some(dir) => read_override(dir, template)?,
                None => (None, format!("{template}.hbs")),
            };
            let source = source.as_deref().unwrap_or(built_in);
            let parse_error =
                |err| RenderError::Parse { file: file.clone(), source: Box::new(err) };
            if template == "layout.html" {
                html.register_partial(LAYOUT, source).map_err(parse_error)?;
            } else if template.ends_with(".html") {
                html.register_template_string(template, source).map_err(parse_error)?;
            } else {
                plain.register_template_string(template, source).map_err(parse_error)?;
            }
        }
        Ok(Renderer { plain, html })
    }

    /// Renders e-mail `name` (one of [`EMAILS`]) with `data`.
    pub fn render(&self, name: &str, data: &impl Serialize) -> Result<Rendered, RenderError> {
        if !EMAILS.contains(&name) {
            return Err(RenderError::Unknown { name: name.to_owned() });
        }
        let subject = render_part(&self.plain, &format!("{name}.subject"), data)?;
        let text = render_part(&self.plain, &format!("{name}.txt"), data)?;
        let html = render_part(&self.html, &format!("{name}.html"), data)?;
        Ok(Rendered { subject: one_line(&subject), text: tidy_text(&text), html })
    }
}

/// The override of `template` in `dir`, if there is one, and the file name to report.
fn read_override(dir: &Path, template: &str) -> Result<(Option<String>, String), RenderError> {
    let path = dir.join(format!("{template}.hbs"));
    let file = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(source) => Ok((Some(source), file)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            Ok((None, format!("{template}.hbs")))
        }
        Err(source) => Err(RenderError::Read { file, source }),
    }
}

fn render_part(
    registry: &Handlebars<'static>,
    template: &str,
    data: &impl Serialize,
) -> Result<String, RenderError> {
    registry
        .render(template, data)
        .map_err(|err| RenderError::Render { template: template.to_owned(), source: Box::new(err) })
}

/// Trimmed, with line breaks (and the space around them) collapsed into single spaces:
/// a subject is one header line.
fn one_line(subject: &str) -> String {
    subject.lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Trailing spaces dropped (except in the signature separator `-- `), runs of blank lines (left by conditional blocks) cut to one,
/// no blank lines at either end, one final newline.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = false;
    for raw in text.lines() {
        // "-- " is the signature separator mail clients recognise; keep its space.
        let line = if raw == "-- " { raw } else { raw.trim_end() };
        if line.is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if blank_run {
            out.push('\n');
            blank_run = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn renderer() -> Renderer {
        match Renderer::new(None) {
            Ok(renderer) => renderer,
            Err(err) => panic!("{err}"),
        }
    }

    fn render(name: &str, data: &Value) -> Rendered {
        match renderer().render(name, data) {
            Ok(rendered) => rendered,
            Err(err) => panic!("{err}"),
        }
    }

    fn ticket() -> Value {
        json!({
            "number": "T-2026-000123",
            "title": "Mail server down",
            "severity": "critical",
            "reported_at": "Mon 2 Mar 2026 22:10 CET",
            "organization": "Acme",
        })
    }

    fn receipt() -> Value {
        json!({
            "recipient": {"name": "Kari Nordmann"},
            "ticket": ticket(),
            "deadlines": [
                {"label": "Response", "due": "Tue 3 Mar 2026 08:30 CET"},
                {"label": "Resolve", "due": "Tue 3 Mar 2026 16:00 CET"},
            ],
            "out_of_hours": true,
            "next_opening": "Tue 3 Mar 2026 08:00 CET",
            "fee": null,
            "oncall_phone": "+47 22 00 00 00",
            "provider": {"name": "Nordic IT"},
        })
    }

    fn status(change: &str, message: Option<&str>) -> Value {
        json!({
            "recipient": {"name": "Kari Nordmann"},
            "ticket": ticket(),
            "change": change,
            "message": message,
            "provider": {"name": "Nordic IT"},
        })
    }

    fn escalation(level: &str) -> Value {
        json!({
            "recipient": {"name": "Ola"},
            "ticket": ticket(),
            "level": level,
            "clock": "response",
            "due": "Mon 2 Mar 2026 23:10 CET",
            "threshold_at": "Mon 2 Mar 2026 23:10 CET",
            "percent": 100,
            "assignee": null,
            "provider": {"name": "Nordic IT"},
        })
    }

    fn oncall_alert() -> Value {
        json!({
            "recipient": {"name": "Ola"},
            "ticket": ticket(),
            "fee": "DKK 5 000.00 excl. VAT",
            "reporter": {"name": "Kari Nordmann", "email": "kari@acme.example"},
            "provider": {"name": "Nordic IT"},
        })
    }

    #[test]
    fn receipt_out_of_hours_waiting() {
        let mail = render("receipt", &receipt());
        assert_eq!(mail.subject, "We have received your ticket T-2026-000123: Mail server down");
        assert!(mail.text.contains("We have received your ticket T-2026-000123"));
        assert!(mail.text.contains("  Response: Tue 3 Mar 2026 08:30 CET\n"));
        assert!(mail.text.contains("the clocks start at Tue 3 Mar 2026 08:00 CET"));
        assert!(mail.text.contains("on-call technician at +47 22 00 00 00 (start-up fee applies)"));
        assert!(!mail.text.contains("\n\n\n"), "{}", mail.text);
        assert!(mail.html.contains("<td style=\"padding: 2px 0;\">Tue 3 Mar 2026 08:30 CET</td>"));
        assert!(mail.html.starts_with("<!DOCTYPE html>"), "{}", mail.html);
    }

    #[test]
    fn receipt_with_fee_and_without_deadlines() {
        let mut data = receipt();
        data["fee"] = json!("DKK 5 000.00 excl. VAT");
        data["next_opening"] = Value::Null;
        data["deadlines"] = json!([]);
        let mail = render("receipt", &data);
        assert!(
            mail.text.contains("accepted the start-up fee DKK 5 000.00 excl. VAT"),
            "{}",
            mail.text
        );
        assert!(!mail.text.contains("outside your agreement hours"));
        assert!(!mail.text.contains("deadlines"));
        assert!(!mail.html.contains("<table"));
    }

    #[test]
    fn receipt_in_hours_mentions_no_fee() {
        let mut data = receipt();
        data["out_of_hours"] = json!(false);
        data["next_opening"] = Value::Null;
        let mail = render("receipt", &data);
        assert!(!mail.text.contains("fee"), "{}", mail.text);
        assert!(!mail.html.contains("fee"));
    }

    #[test]
    fn status_has_a_sentence_per_change() {
        for (change, sentence) in [
            ("responded", "A technician has replied"),
            ("fix_started", "Work on a fix has started"),
            ("waiting_on_you", "the SLA clock is paused until you reply"),
            ("resolved", "has been resolved"),
            ("reopened", "has been reopened"),
        ] {
            let mail = render("status", &status(change, None));
            assert!(mail.text.contains(sentence), "{change}: {}", mail.text);
            assert!(mail.html.contains(sentence), "{change}: {}", mail.html);
            assert!(mail.subject.starts_with("T-2026-000123: "), "{}", mail.subject);
        }
    }

    #[test]
    fn status_message_is_shown_as_text() {
        let reply = "Please restart the <b>router</b>.\nThen call us.";
        let mail = render("status", &status("responded", Some(reply)));
        assert!(mail.text.contains(reply), "{}", mail.text);
        assert!(mail.html.contains("Please restart the &lt;b&gt;router&lt;/b&gt;."));
        assert!(!mail.html.contains("<b>router"));
    }

    #[test]
    fn escalation_subjects() {
        assert_eq!(
            render("escalation", &escalation("breach")).subject,
            "[frist] BREACH: response deadline passed — T-2026-000123 (Acme)"
        );
        let mut warning = escalation("warning");
        warning["percent"] = json!(75);
        let mail = render("escalation", &warning);
        assert_eq!(
            mail.subject,
            "[frist] WARNING: 75 % of the response time used — T-2026-000123 (Acme)"
        );
        assert!(mail.text.contains("Assignee:      nobody"), "{}", mail.text);
        let mut manager = escalation("manager");
        manager["assignee"] = json!("Per Hansen");
        let mail = render("escalation", &manager);
        assert!(mail.subject.starts_with("[frist] MANAGER ESCALATION"), "{}", mail.subject);
        assert!(mail.text.contains("Assignee:      Per Hansen"));
        assert!(mail.html.contains("Per Hansen"));
    }

    #[test]
    fn oncall_alert_names_reporter_and_fee() {
        let mail = render("oncall_alert", &oncall_alert());
        assert_eq!(mail.subject, "[frist] ON-CALL NOW: T-2026-000123 (Acme) — Mail server down");
        assert!(mail.text.contains("Kari Nordmann <kari@acme.example>"), "{}", mail.text);
        assert!(mail.text.contains("DKK 5 000.00 excl. VAT"));
        assert!(mail.html.contains("mailto:kari@acme.example"));
    }

    #[test]
    fn html_escapes_what_subject_and_text_keep() {
        let mut data = receipt();
        data["ticket"]["title"] = json!("<script>alert(1)</script> & \"more\"");
        let mail = render("receipt", &data);
        assert!(mail.subject.contains("<script>alert(1)</script> & \"more\""));
        assert!(mail.text.contains("<script>alert(1)</script> & \"more\""));
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;"));
    }

    #[test]
    fn missing_field_is_an_error_naming_the_template() {
        let mut data = receipt();
        if let Some(object) = data.as_object_mut() {
            object.remove("oncall_phone");
        }
        let err = renderer().render("receipt", &data).err();
        assert!(
            matches!(&err, Some(RenderError::Render { template, .. }) if template == "receipt.txt"),
            "{err:?}"
        );
        let err = renderer().render("status", &json!({"ticket": ticket()})).err();
        assert!(matches!(err, Some(RenderError::Render { .. })), "{err:?}");
    }

    #[test]
    fn unknown_email_is_an_error() {
        let err = renderer().render("nope", &json!({})).err();
        assert!(matches!(err, Some(RenderError::Unknown { .. })), "{err:?}");
    }

    #[test]
    fn override_directory_replaces_single_parts() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("receipt.subject.hbs"), "Got it:\n  {{ticket.number}}\n")?;
        let renderer = Renderer::new(Some(dir.path()))?;
        let mail = renderer.render("receipt", &receipt())?;
        assert_eq!(mail.subject, "Got it: T-2026-000123");
        assert!(mail.text.contains("We have received your ticket"));

        std::fs::write(dir.path().join("status.html.hbs"), "{{#if}")?;
        let err = Renderer::new(Some(dir.path())).err();
        assert!(
            matches!(&err, Some(RenderError::Parse { file, .. }) if file.ends_with("status.html.hbs")),
            "{err:?}"
        );
        Ok(())
    }

    #[test]
    fn one_line_and_tidy_text() {
        assert_eq!(one_line("  a\n  b \r\n\nc  "), "a b c");
        assert_eq!(one_line("DKK 5\u{a0}000"), "DKK 5\u{a0}000");
        assert_eq!(tidy_text("\n\na  \n\n\n\nb\n\n"), "a\n\nb\n");
        assert_eq!(tidy_text("a\n\n-- \nfrist\n"), "a\n\n-- \nfrist\n");
    }
}

//! The HTML of the dev eID: the login page and the error page. Plain forms, no script, so
//! that curl, a browser and a headless browser all get through.
//!
//! The national identifiers of the synthetic people are shown here (they are test data);
//! they never go into a URL or a log.

use time::Date;

use crate::consent::policy::age;
use crate::fhir::ips::narrative::escape;
use crate::national_id::Country;

use super::assurance::Level;
use super::people::Listed;

/// What one rendering of the login page shows.
pub struct LoginView<'a> {
    pub login_id: &'a str,
    pub client_id: &'a str,
    pub people: &'a [Listed],
    pub today: Date,
    pub level: Level,
    /// A Patient id whose button is listed first.
    pub hint: Option<&'a str>,
    /// Why the last submission was refused.
    pub message: Option<&'a str>,
}

pub fn login_page(view: &LoginView<'_>) -> String {
    let mut people: Vec<&Listed> = view.people.iter().collect();
    // The hinted person first; the rest keep the data set's order.
    people.sort_by_key(|p| Some(p.key.as_str()) != view.hint);
    let buttons: String = people
        .iter()
        .map(|p| {
            let name = p
                .person
                .name
                .as_ref()
                .map(|n| format!("{} {}", n.given, n.family))
                .unwrap_or_default();
            format!(
                "<li><button type=\"submit\" name=\"person\" value=\"{key}\">{name}</button> \
                 {country}, {age} years, <span class=\"id\">{id}</span></li>\n",
                key = escape(&p.key),
                name = escape(&name),
                country = p.country.name(),
                age = age(p.birth_date, view.today),
                id = escape(p.person.national_id.value()),
            )
        })
        .collect();
    let levels: String = Level::ALL
        .iter()
        .map(|l| {
            let selected = if *l == view.level { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{selected}>{}</option>",
                l.name(),
                l.name()
            )
        })
        .collect();
    let countries: String = Country::ALL
        .iter()
        .map(|c| format!("<option value=\"{}\">{}</option>", c.code(), c.name()))
        .collect();
    let message = view
        .message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(m)))
        .unwrap_or_default();
    format!(
        "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dev eID login</title>
<style>body{{font-family:sans-serif;max-width:48em;margin:1em auto}}.error{{color:#b00}}
li{{margin:.3em 0}}.id{{font-family:monospace}}</style></head>
<body>
<h1>Dev eID</h1>
<p>A test identity provider of the dev profile: <strong>{client}</strong> asks you to log in.
The people below are synthetic.</p>
{message}<form method=\"post\" action=\"login\">
<input type=\"hidden\" name=\"login\" value=\"{login}\">
<p><label for=\"acr\">Assurance level</label>
<select id=\"acr\" name=\"acr\">{levels}</select></p>
<h2>Log in as</h2>
<ul>
{buttons}</ul>
<h2>Or type a national ID</h2>
<p><label for=\"country\">Country</label> <select id=\"country\" name=\"country\">{countries}</select>
<label for=\"national_id\">National ID</label> <input id=\"national_id\" name=\"national_id\" autocomplete=\"off\">
<button type=\"submit\" name=\"person\" value=\"typed\">Log in with this number</button></p>
<p><button type=\"submit\" name=\"person\" value=\"cancel\">Cancel</button></p>
</form>
</body></html>
",
        client = escape(view.client_id),
        login = escape(view.login_id),
    )
}

pub fn error_page(message: &str) -> String {
    format!(
        "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dev eID: error</title></head>
<body><h1>Dev eID: the request cannot be served</h1>
<p class=\"error\" role=\"alert\">{}</p></body></html>
",
        escape(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert!(error_page("<script>").contains("&lt;script&gt;"));
    }
}

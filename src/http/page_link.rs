//! Following a sealed page link (`_page=...`) of a search or an operation.

use crate::fhir::FhirError;
use crate::http::state::AppState;

type Params = Vec<(String, String)>;
/// Offset and page size restored from a page link.
type Page = (usize, usize);

/// A `_page` link restores the sealed request and its offset; anything else is a new request.
/// The link's own format controls (`_format`, `_pretty`) apply, not those of the first page.
pub fn restore(
    state: &AppState,
    page_kind: &str,
    query: Vec<(String, String)>,
) -> Result<(Params, Option<Page>), FhirError> {
    let Some((_, token)) = query.iter().find(|(k, _)| k == "_page") else {
        return Ok((query, None));
    };
    if query
        .iter()
        .any(|(k, _)| !matches!(k.as_str(), "_page" | "_format" | "_pretty"))
    {
        return Err(FhirError::Invalid(
            "a _page link takes no other parameters".into(),
        ));
    }
    let page = state
        .sealer
        .open(token)
        .filter(|p| p.resource_type == page_kind)
        .ok_or_else(|| FhirError::Invalid("the _page link is not valid for this server".into()))?;
    let mut params = page.params;
    // The format controls of the link's own request apply, not those of the first page.
    params.extend(
        query
            .into_iter()
            .filter(|(k, _)| matches!(k.as_str(), "_format" | "_pretty")),
    );
    Ok((params, Some((page.offset, page.count))))
}

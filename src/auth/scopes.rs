//! SMART App Launch 2.x scopes: which actions a token allows on which resource types.
//!
//! Both syntaxes are understood because apps in the field still ask for v1 scopes:
//! v1 `patient/Observation.read` (read = r+s, write = c+u+d, `*` = all) and v2
//! `patient/Observation.rs`, optionally narrowed by a query (`?category=laboratory`).
//! A resource scope that does not follow the grammar grants nothing and is dropped: a
//! typo must never widen access. Scopes that are not about resources (`openid`,
//! `fhirUser`, `launch/patient`, `offline_access`, ...) are kept in [`ScopeSet::other`].

/// Whose data a resource scope is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScopeContext {
    /// The patient in context (`patient/`).
    Patient,
    /// Whatever the signed-in user may see (`user/`).
    User,
    /// A backend service acting on its own (`system/`).
    System,
}

impl ScopeContext {
    /// The scope prefix, without the slash.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::User => "user",
            Self::System => "system",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Self> {
        match prefix {
            "patient" => Some(Self::Patient),
            "user" => Some(Self::User),
            "system" => Some(Self::System),
            _ => None,
        }
    }
}

/// A FHIR interaction, as SMART v2 groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Search,
}

/// The `cruds` letters of one scope.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Permissions {
    pub create: bool,
    pub read: bool,
    pub update: bool,
    pub delete: bool,
    pub search: bool,
}

impl Permissions {
    /// Every action (`.*` and `.cruds`).
    pub const ALL: Self = Self {
        create: true,
        read: true,
        update: true,
        delete: true,
        search: true,
    };

    /// Whether these permissions allow `action`.
    pub fn permits(&self, action: Action) -> bool {
        match action {
            Action::Create => self.create,
            Action::Read => self.read,
            Action::Update => self.update,
            Action::Delete => self.delete,
            Action::Search => self.search,
        }
    }

    /// The v1 words; v2 treats `read` as r+s and `write` as c+u+d.
    fn from_v1(word: &str) -> Option<Self> {
        match word {
            "read" => Some(Self {
                read: true,
                search: true,
                ..Self::default()
            }),
            "write" => Some(Self {
                create: true,
                update: true,
                delete: true,
                ..Self::default()
            }),
            "*" => Some(Self::ALL),
            _ => None,
        }
    }

    /// The v2 letters: a non-empty subsequence of `cruds`, in that order. The spec fixes
    /// the order so that each permission set has one spelling; anything else is refused.
    fn from_v2(letters: &str) -> Option<Self> {
        const ORDER: &[u8] = b"cruds";
        if letters.is_empty() {
            return None;
        }
        let mut permissions = Self::default();
        let mut next = 0;
        for letter in letters.bytes() {
            let position = next + ORDER[next..].iter().position(|&l| l == letter)?;
            match letter {
                b'c' => permissions.create = true,
                b'r' => permissions.read = true,
                b'u' => permissions.update = true,
                b'd' => permissions.delete = true,
                _ => permissions.search = true,
            }
            next = position + 1;
        }
        Some(permissions)
    }
}

/// One `context/Type.permissions[?query]` scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceScope {
    pub context: ScopeContext,
    /// `None` stands for `*`, every resource type.
    pub resource_type: Option<String>,
    pub permissions: Permissions,
    /// The v2 query parameters (`?category=...`), url-decoded. The data layer must
    /// only return resources that match all of them.
    pub query: Vec<(String, String)>,
}

impl ResourceScope {
    /// Whether this scope speaks about `resource_type`.
    pub fn covers(&self, resource_type: &str) -> bool {
        self.resource_type
            .as_deref()
            .is_none_or(|own| own == resource_type)
    }

    /// Parses one scope that starts with a context prefix; `None` if it breaks the grammar.
    fn parse(context: ScopeContext, rest: &str) -> Option<Self> {
        let (body, query) = match rest.split_once('?') {
            Some((body, query)) => (body, Some(query)),
            None => (rest, None),
        };
        let (resource_type, permissions) = body.split_once('.')?;
        let resource_type = match resource_type {
            "*" => None,
            name if is_resource_type_name(name) => Some(name.to_owned()),
            _ => return None,
        };
        let permissions =
            Permissions::from_v1(permissions).or_else(|| Permissions::from_v2(permissions))?;
        let query = match query {
            Some(query) => parse_query(query)?,
            None => Vec::new(),
        };
        Some(Self {
            context,
            resource_type,
            permissions,
            query,
        })
    }
}

/// FHIR resource type names are `[A-Z][A-Za-z]*`.
fn is_resource_type_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_uppercase()) && bytes.all(|b| b.is_ascii_alphabetic())
}

/// `a=1&b=2`, each name and value url-decoded. Empty parts make the scope invalid: a
/// restriction we cannot read must not silently turn into no restriction.
fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=')?;
            let (name, value) = (url_decode(name)?, url_decode(value)?);
            (!name.is_empty() && !value.is_empty()).then_some((name, value))
        })
        .collect()
}

/// Form-style decoding (`%XX` and `+` for space), as FHIR search query strings use.
fn url_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The scopes of one token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet {
    normalized: String,
    resource: Vec<ResourceScope>,
    other: Vec<String>,
    /// The text of every scope that counts (valid resource scopes and `other`), for `has`.
    granted: Vec<String>,
}

impl ScopeSet {
    /// Parses a space-separated `scope` value.
    pub fn parse(scope: &str) -> ScopeSet {
        let mut set = ScopeSet::default();
        let tokens: Vec<&str> = scope.split_ascii_whitespace().collect();
        set.normalized = tokens.join(" ");
        for token in tokens {
            let context = token
                .split_once('/')
                .and_then(|(prefix, rest)| Some((ScopeContext::from_prefix(prefix)?, rest)));
            match context {
                Some((context, rest)) => {
                    if let Some(parsed) = ResourceScope::parse(context, rest) {
                        set.resource.push(parsed);
                        set.granted.push(token.to_owned());
                    }
                }
                None => {
                    set.other.push(token.to_owned());
                    set.granted.push(token.to_owned());
                }
            }
        }
        set
    }

    /// The valid resource scopes, in the order given.
    pub fn resource_scopes(&self) -> &[ResourceScope] {
        &self.resource
    }

    /// Scopes that are not about resources: `openid`, `fhirUser`, `launch/patient`, ...
    pub fn other(&self) -> &[String] {
        &self.other
    }

    /// The distinct contexts of the resource scopes, in order of first appearance.
    pub fn contexts(&self) -> impl Iterator<Item = ScopeContext> + '_ {
        self.resource
            .iter()
            .enumerate()
            .filter(|(i, scope)| {
                !self.resource[..*i]
                    .iter()
                    .any(|s| s.context == scope.context)
            })
            .map(|(_, scope)| scope.context)
    }

    /// The scopes, of any context, that allow `action` on `resource_type`. Empty means
    /// the token does not allow it; more than one means the caller must combine their
    /// contexts and query restrictions.
    pub fn granting(&self, resource_type: &str, action: Action) -> Vec<&ResourceScope> {
        self.resource
            .iter()
            .filter(|scope| scope.covers(resource_type) && scope.permissions.permits(action))
            .collect()
    }

    /// Whether exactly this scope was granted (and is valid).
    pub fn has(&self, scope: &str) -> bool {
        self.granted.iter().any(|granted| granted == scope)
    }

    /// The scope string with single spaces between scopes.
    pub fn as_str(&self) -> &str {
        &self.normalized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Permissions = Permissions {
        create: false,
        read: true,
        update: false,
        delete: false,
        search: false,
    };
    const RS: Permissions = Permissions { search: true, ..R };
    const CUD: Permissions = Permissions {
        create: true,
        read: false,
        update: true,
        delete: true,
        search: false,
    };
    const S: Permissions = Permissions { read: false, ..RS };

    fn only(scope: &str) -> ResourceScope {
        let set = ScopeSet::parse(scope);
        assert_eq!(set.resource_scopes().len(), 1, "{scope}");
        set.resource_scopes()[0].clone()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_v1_and_v2_forms() {
        use ScopeContext::*;
        let cases: &[(&str, ScopeContext, Option<&str>, Permissions)] = &[
            ("patient/Observation.read", Patient, Some("Observation"), RS),
            (
                "patient/Observation.write",
                Patient,
                Some("Observation"),
                CUD,
            ),
            (
                "user/Observation.*",
                User,
                Some("Observation"),
                Permissions::ALL,
            ),
            ("patient/*.read", Patient, None, RS),
            ("system/*.*", System, None, Permissions::ALL),
            ("patient/Observation.rs", Patient, Some("Observation"), RS),
            ("patient/Observation.r", Patient, Some("Observation"), R),
            ("patient/Observation.s", Patient, Some("Observation"), S),
            ("user/Condition.cud", User, Some("Condition"), CUD),
            ("system/*.cruds", System, None, Permissions::ALL),
            ("patient/*.rs", Patient, None, RS),
            (
                "system/MedicationRequest.rs",
                System,
                Some("MedicationRequest"),
                RS,
            ),
        ];
        for (text, context, resource_type, permissions) in cases {
            let scope = only(text);
            assert_eq!(scope.context, *context, "{text}");
            assert_eq!(scope.resource_type.as_deref(), *resource_type, "{text}");
            assert_eq!(scope.permissions, *permissions, "{text}");
            assert!(scope.query.is_empty(), "{text}");
        }
    }

    #[test]
    fn query_scopes_are_url_decoded() {
        let lab = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory";
        let cases: &[(&str, Vec<(String, String)>)] = &[
            (
                "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
                pairs(&[("category", lab)]),
            ),
            (
                "patient/Observation.rs?category=http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2Fobservation-category%7Claboratory",
                pairs(&[("category", lab)]),
            ),
            (
                "patient/Observation.rs?category=vital-signs&status=final",
                pairs(&[("category", "vital-signs"), ("status", "final")]),
            ),
            (
                "user/Observation.r?code=a+b%2Bc",
                pairs(&[("code", "a b+c")]),
            ),
            ("patient/*.rs?_security=N", pairs(&[("_security", "N")])),
        ];
        for (text, query) in cases {
            assert_eq!(&only(text).query, query, "{text}");
        }
    }

    #[test]
    fn invalid_resource_scopes_are_ignored() {
        let invalid = [
            "patient/Observation.sr",
            "patient/Observation.rr",
            "patient/Observation.scrud",
            "patient/Observation.crudsx",
            "patient/Observation.x",
            "patient/Observation.READ",
            "patient/Observation.",
            "patient/Observation",
            "patient/observation.rs",
            "patient/Obs-ervation.rs",
            "patient/.rs",
            "patient/Observation.rs?",
            "patient/Observation.rs?category",
            "patient/Observation.rs?category=",
            "patient/Observation.rs?=laboratory",
            "patient/Observation.rs?category=%zz",
            "patient/Observation.rs?category=%e2%28",
            "patient/Observation.rs?a=1&",
        ];
        for text in invalid {
            let set = ScopeSet::parse(text);
            assert!(set.resource_scopes().is_empty(), "{text}");
            assert!(set.other().is_empty(), "{text}");
            assert!(!set.has(text), "{text}");
            assert_eq!(set.as_str(), text);
        }
        // One bad scope does not spoil its neighbours.
        let set = ScopeSet::parse("patient/Observation.sr patient/Immunization.rs");
        assert_eq!(set.resource_scopes().len(), 1);
        assert_eq!(
            set.resource_scopes()[0].resource_type.as_deref(),
            Some("Immunization")
        );
    }

    #[test]
    fn unknown_scopes_are_kept_in_other() {
        let set = ScopeSet::parse(
            "openid fhirUser launch/patient offline_access patient/*.rs online_access launch",
        );
        assert_eq!(
            set.other(),
            [
                "openid",
                "fhirUser",
                "launch/patient",
                "offline_access",
                "online_access",
                "launch"
            ]
        );
        assert_eq!(set.resource_scopes().len(), 1);
        assert!(set.has("launch/patient"));
        assert!(set.has("patient/*.rs"));
        assert!(!set.has("patient/*.read"));
        assert!(!set.has("openi"));
    }

    #[test]
    fn spacing_is_normalized() {
        let set = ScopeSet::parse("  openid \t patient/*.rs\n\nfhirUser  ");
        assert_eq!(set.as_str(), "openid patient/*.rs fhirUser");
        let empty = ScopeSet::parse("   ");
        assert_eq!(empty.as_str(), "");
        assert!(empty.resource_scopes().is_empty() && empty.other().is_empty());
        assert_eq!(empty.contexts().count(), 0);
    }

    #[test]
    fn contexts_are_distinct_in_order() {
        let set = ScopeSet::parse(
            "user/Practitioner.r patient/*.rs user/Observation.rs system/*.s patient/Condition.r",
        );
        let contexts: Vec<_> = set.contexts().collect();
        assert_eq!(
            contexts,
            [
                ScopeContext::User,
                ScopeContext::Patient,
                ScopeContext::System
            ]
        );
    }

    #[test]
    fn granting_matches_type_and_action_across_contexts() {
        let set = ScopeSet::parse(
            "patient/Observation.rs user/*.r system/Immunization.s patient/Condition.c patient/AllergyIntolerance.read openid",
        );
        // (context, resource type) of each granting scope.
        type Granted = Vec<(ScopeContext, Option<String>)>;
        let granted = |resource_type: &str, action: Action| -> Granted {
            set.granting(resource_type, action)
                .into_iter()
                .map(|s| (s.context, s.resource_type.clone()))
                .collect()
        };
        let observation = Some("Observation".to_string());
        use ScopeContext::*;
        let cases: Vec<(&str, Action, Granted)> = vec![
            (
                "Observation",
                Action::Read,
                vec![(Patient, observation.clone()), (User, None)],
            ),
            (
                "Observation",
                Action::Search,
                vec![(Patient, observation.clone())],
            ),
            ("Observation", Action::Create, vec![]),
            (
                "Immunization",
                Action::Search,
                vec![(System, Some("Immunization".into()))],
            ),
            ("Immunization", Action::Read, vec![(User, None)]),
            ("Condition", Action::Read, vec![(User, None)]),
            (
                "Condition",
                Action::Create,
                vec![(Patient, Some("Condition".into()))],
            ),
            ("Condition", Action::Delete, vec![]),
            (
                "AllergyIntolerance",
                Action::Search,
                vec![(Patient, Some("AllergyIntolerance".into()))],
            ),
            ("Patient", Action::Search, vec![]),
            ("Patient", Action::Read, vec![(User, None)]),
        ];
        for (resource_type, action, expected) in cases {
            assert_eq!(
                granted(resource_type, action),
                expected,
                "{resource_type} {action:?}"
            );
        }
    }

    #[test]
    fn wildcard_v1_read_grants_read_and_search_only() {
        let set = ScopeSet::parse("patient/*.read");
        for action in [Action::Read, Action::Search] {
            assert_eq!(set.granting("MedicationRequest", action).len(), 1);
        }
        for action in [Action::Create, Action::Update, Action::Delete] {
            assert!(set.granting("MedicationRequest", action).is_empty());
        }
    }

    #[test]
    fn granting_keeps_query_restrictions() {
        let set = ScopeSet::parse(
            "patient/Observation.rs?category=laboratory patient/Observation.rs?category=vital-signs",
        );
        let granted = set.granting("Observation", Action::Search);
        assert_eq!(granted.len(), 2);
        assert_eq!(granted[0].query, pairs(&[("category", "laboratory")]));
        assert_eq!(granted[1].query, pairs(&[("category", "vital-signs")]));
    }
}

//! Validation of the FHIR resources the gateway returns.
//!
//! Two layers, both read from `fhir-profiles/` at the crate root (see its README.md):
//!
//! * the official FHIR R4 (4.0.1) JSON schema, `fhir-profiles/r4/fhir.schema.json` (draft-06),
//!   with one addition made in memory: its complex types must be JSON objects (see
//!   `require_objects`);
//! * the project's IPS profile schemas, `fhir-profiles/ips/<profile>.schema.json`
//!   (draft 2020-12), which add what the R4 schema cannot express: the IPS required elements,
//!   required primitives (a required `status` must come as `status`, not only as `_status`),
//!   choice-type cardinalities and the invariants that JSON Schema can state. A document
//!   Bundle is checked against Bundle-uv-ips, and its entries against their own profiles.
//!
//! The R4 schema is 3.3 MB and one validator for it is compiled per resource type, so that an
//! error carries the resource's own JSON path (validating against the schema's root `oneOf` of
//! 146 resource types only says "not valid under any of the schemas"). The schema document is
//! parsed and indexed once per test binary into a shared registry; each per-type validator is
//! compiled on first use and then cached for the rest of the run.
//!
//! This module does not depend on the gateway crate: it checks what goes over the wire.

#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex, OnceLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::Value;

/// Directory holding the schemas the gateway ships; relative to the crate being tested.
const PROFILES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fhir-profiles");

/// URI under which the R4 schema is registered (the `id` the schema document declares).
const R4_SCHEMA_URI: &str = "http://hl7.org/fhir/json-schema/4.0";

/// The project's profile for each resource type the gateway promises IPS conformance for.
/// Bundle-uv-ips is the profile of a document: it applies to Bundles of type `document` only
/// (see [`profile_of`]); searchsets are checked against R4.
pub const PROFILES: &[(&str, &str)] = &[
    ("Patient", "Patient-uv-ips"),
    ("MedicationRequest", "MedicationRequest-uv-ips"),
    ("Immunization", "Immunization-uv-ips"),
    ("AllergyIntolerance", "AllergyIntolerance-uv-ips"),
    ("Condition", "Condition-uv-ips"),
    ("Bundle", "Bundle-uv-ips"),
    ("Composition", "Composition-uv-ips"),
    ("MedicationStatement", "MedicationStatement-uv-ips"),
];

/// Longest message kept from a schema error; longer ones are cut so that a failure report for a
/// large Bundle stays readable.
const MAX_MESSAGE_CHARS: usize = 300;

/// Validates one resource, dispatching on `resourceType`: the R4 schema for that type, plus the
/// project's profile schema for it if there is one. The resources inside a Bundle's entries are
/// validated the same way, recursively; contained resources are checked against R4 only, as they
/// do not stand on their own and so do not claim a profile.
pub fn validate(resource: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check(resource, "", true, &mut errors);
    into_result(errors)
}

/// Panics with all errors (paths and messages) and the resource's type and id.
#[track_caller]
pub fn assert_valid(resource: &Value) {
    if let Err(errors) = validate(resource) {
        panic!(
            "{} is not valid ({} error{}):\n  - {}",
            resource_label(resource),
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            errors.join("\n  - ")
        );
    }
}

/// Validates against one named profile schema only ("Patient-uv-ips", ...), without the R4
/// schema and without looking into Bundle entries.
///
/// # Panics
///
/// If `profile` is not one of the project's profiles.
pub fn validate_profile(profile: &str, resource: &Value) -> Result<(), Vec<String>> {
    let compiled = profile_schemas()
        .get(profile)
        .unwrap_or_else(|| panic!("unknown profile {profile:?}; known: {:?}", profile_names()));
    into_result(profile_errors(compiled, resource, ""))
}

/// Validates against the R4 schema only (including Bundle entries and contained resources,
/// each against the schema of its own type), without the project's profiles.
pub fn validate_r4(resource: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    check(resource, "", false, &mut errors);
    into_result(errors)
}

/// The profile the project has for `resource_type`, if any. For Bundles it applies to
/// documents only: [`profile_of`] says whether it applies to one resource.
pub fn profile_for(resource_type: &str) -> Option<&'static str> {
    PROFILES
        .iter()
        .find(|(ty, _)| *ty == resource_type)
        .map(|(_, profile)| *profile)
}

/// The profile the project applies to this resource, if any: by type, and for a Bundle only
/// when it is a document.
pub fn profile_of(resource: &Value) -> Option<&'static str> {
    let ty = resource.get("resourceType").and_then(Value::as_str)?;
    if ty == "Bundle" && resource.get("type").and_then(Value::as_str) != Some("document") {
        return None;
    }
    profile_for(ty)
}

/// The parsed JSON of a profile schema, for tests that inspect the schema itself.
///
/// # Panics
///
/// If `profile` is not one of the project's profiles.
pub fn profile_schema(profile: &str) -> &'static Value {
    &profile_schemas()
        .get(profile)
        .unwrap_or_else(|| panic!("unknown profile {profile:?}; known: {:?}", profile_names()))
        .schema
}

/// Compiles the R4 validator of `resource_type` now (or returns at once if it already is), so
/// that a caller can time compilation apart from validation. Returns false for an unknown type.
pub fn warm_up_r4(resource_type: &str) -> bool {
    r4_validator(resource_type).is_some()
}

fn into_result(errors: Vec<String>) -> Result<(), Vec<String>> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn resource_label(resource: &Value) -> String {
    let ty = resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("<no resourceType>");
    match resource.get("id").and_then(Value::as_str) {
        Some(id) => format!("{ty}/{id}"),
        None => format!("{ty} (no id)"),
    }
}

/// Validates `resource` found at JSON pointer `at` and appends the errors, with paths relative
/// to the outermost document.
fn check(resource: &Value, at: &str, with_profiles: bool, errors: &mut Vec<String>) {
    let Some(ty) = resource.get("resourceType").and_then(Value::as_str) else {
        errors.push(format!(
            "{}: not a FHIR resource: no string \"resourceType\"",
            display_path(at)
        ));
        return;
    };
    let Some(validator) = r4_validator(ty) else {
        errors.push(format!(
            "{}: \"{ty}\" is not an R4 resource type",
            display_path(at)
        ));
        return;
    };

    // Resources nested as Bundle.entry.resource or in `contained` are checked against the R4
    // schema as a `oneOf` over all resource types, whose error says nothing useful. Such errors
    // are dropped here and the nested resources are validated on their own below, with the
    // validator of their own type, which reports the precise paths.
    let nested: Vec<(String, &Value, bool)> = nested_resources(ty, resource)
        .map(|(pointer, nested, profiles)| (pointer, nested, profiles && with_profiles))
        .collect();
    for error in validator.iter_errors(resource) {
        let path = error.instance_path().as_str();
        if error.kind().keyword() == "oneOf" && nested.iter().any(|(p, _, _)| p == path) {
            continue;
        }
        errors.push(format_error(&error, at, "R4", None));
    }
    if with_profiles && let Some(profile) = profile_of(resource) {
        errors.extend(profile_errors(&profile_schemas()[profile], resource, at));
    }
    for (pointer, nested, profiles) in nested {
        check(nested, &format!("{at}{pointer}"), profiles, errors);
    }
}

/// The resources nested in `resource`, with their JSON pointer and whether the project's
/// profiles apply to them (entries of a Bundle yes, contained resources no).
fn nested_resources<'a>(
    ty: &str,
    resource: &'a Value,
) -> impl Iterator<Item = (String, &'a Value, bool)> {
    let entries = (ty == "Bundle")
        .then(|| resource.get("entry").and_then(Value::as_array))
        .flatten()
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, entry)| {
            entry
                .get("resource")
                .map(|r| (format!("/entry/{i}/resource"), r, true))
        });
    let contained = resource
        .get("contained")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| (format!("/contained/{i}"), r, false));
    entries.chain(contained)
}

// ---------------------------------------------------------------------------------- R4 schema

struct R4 {
    registry: Registry<'static>,
    resource_types: HashSet<String>,
    /// One cell per resource type; the map's lock is held only to find the cell, so that
    /// compiling one type does not block tests that need another.
    validators: Mutex<HashMap<String, &'static OnceLock<Validator>>>,
}

fn r4() -> &'static R4 {
    static R4: LazyLock<R4> = LazyLock::new(|| {
        let mut schema = read_json(&format!("{PROFILES_DIR}/r4/fhir.schema.json"));
        require_objects(&mut schema);
        admit_fhir_4_0_1(&mut schema);
        // The resource types are the definitions whose `resourceType` is a constant of their
        // own name (data types and backbone elements have no `resourceType`).
        let resource_types = schema["definitions"]
            .as_object()
            .expect("R4 schema has definitions")
            .iter()
            .filter(|(name, def)| def["properties"]["resourceType"]["const"] == name.as_str())
            .map(|(name, _)| name.clone())
            .collect();
        // The document declares draft-06 but identifies itself with draft-04's `id`, so it is
        // registered under that URI explicitly, with the draft spelled out.
        let registry = Registry::new()
            .draft(Draft::Draft6)
            .add(R4_SCHEMA_URI, schema)
            .and_then(jsonschema::RegistryBuilder::prepare)
            .expect("R4 schema can be registered");
        R4 {
            registry,
            resource_types,
            validators: Mutex::new(HashMap::new()),
        }
    });
    &R4
}

/// The R4 schema gives its complex types (resources, data types, backbone elements) `properties`
/// and `additionalProperties` but no `"type": "object"`, and those keywords only apply to
/// objects: as published, it accepts `"subject": "Patient/1"` or `"code": "aspirin"`. FHIR's JSON
/// format represents every complex element as an object, so that is added here, in memory (the
/// file stays byte-identical to the published one). `Element`, the type of the `_x` companions
/// of primitives, also admits `null`, which stands for "no extension" in `_x` arrays.
fn require_objects(schema: &mut Value) {
    let definitions = schema["definitions"]
        .as_object_mut()
        .expect("R4 schema has definitions");
    for (name, definition) in definitions.iter_mut() {
        let Some(definition) = definition.as_object_mut() else {
            continue;
        };
        if definition.contains_key("properties") && !definition.contains_key("type") {
            let ty = if name == "Element" {
                serde_json::json!(["object", "null"])
            } else {
                serde_json::json!("object")
            };
            definition.insert("type".to_owned(), ty);
        }
    }
}

/// The published schema was generated from FHIR 4.0.0: its `fhirVersion` enumerations stop at
/// "4.0.0". The R4 technical correction 4.0.1, which this server implements, added "4.0.1" to
/// the FHIRVersion code system, so it is added here, in memory, wherever the enumeration occurs.
fn admit_fhir_4_0_1(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get_mut("enum")
                && values.iter().any(|v| v == "4.0.0")
                && !values.iter().any(|v| v == "4.0.1")
            {
                values.push(Value::from("4.0.1"));
            }
            map.values_mut().for_each(admit_fhir_4_0_1);
        }
        Value::Array(items) => items.iter_mut().for_each(admit_fhir_4_0_1),
        _ => {}
    }
}

fn r4_validator(resource_type: &str) -> Option<&'static Validator> {
    let r4 = r4();
    if !r4.resource_types.contains(resource_type) {
        return None;
    }
    let cell: &'static OnceLock<Validator> = r4
        .validators
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(resource_type.to_owned())
        // Leaked on purpose: a validator lives as long as the test binary.
        .or_insert_with(|| Box::leak(Box::new(OnceLock::new())));
    Some(cell.get_or_init(|| {
        // A root `$ref` to the type's definition (rather than the whole schema with its
        // `oneOf`) makes errors point into the resource itself.
        let root =
            serde_json::json!({ "$ref": format!("{R4_SCHEMA_URI}#/definitions/{resource_type}") });
        jsonschema::options()
            .with_draft(Draft::Draft6)
            .with_registry(&r4.registry)
            .build(&root)
            .unwrap_or_else(|e| panic!("R4 validator for {resource_type} does not compile: {e}"))
    }))
}

// ---------------------------------------------------------------------------- profile schemas

struct Profile {
    name: &'static str,
    schema: Value,
    validator: Validator,
}

fn profile_schemas() -> &'static HashMap<&'static str, Profile> {
    // The profile schemas are small; they are compiled together on first use.
    static PROFILE_SCHEMAS: LazyLock<HashMap<&'static str, Profile>> = LazyLock::new(|| {
        PROFILES
            .iter()
            .map(|&(_, name)| {
                let schema = read_json(&format!("{PROFILES_DIR}/ips/{name}.schema.json"));
                let validator = jsonschema::options()
                    .build(&schema)
                    .unwrap_or_else(|e| panic!("profile schema {name} does not compile: {e}"));
                (
                    name,
                    Profile {
                        name,
                        schema,
                        validator,
                    },
                )
            })
            .collect()
    });
    &PROFILE_SCHEMAS
}

fn profile_names() -> Vec<&'static str> {
    PROFILES.iter().map(|(_, name)| *name).collect()
}

fn profile_errors(profile: &Profile, resource: &Value, at: &str) -> Vec<String> {
    profile
        .validator
        .iter_errors(resource)
        .map(|error| format_error(&error, at, profile.name, Some(&profile.schema)))
        .collect()
}

// ------------------------------------------------------------------------------------ errors

/// `<instance path>: <message>[ — <rule>] (<schema> at <schema path>)`.
///
/// `<rule>` is the `description` of the nearest enclosing subschema of a profile schema: the
/// profile schemas describe each constraint with the FHIR element or invariant it comes from,
/// which says more than "not valid under any of the schemas listed in the 'anyOf' keyword".
fn format_error(error: &ValidationError, at: &str, source: &str, schema: Option<&Value>) -> String {
    let message = truncate(&message(error));
    let pointer = format!("{at}{}", error.instance_path().as_str());
    let path = display_path(&pointer);
    let schema_path = error.schema_path().as_str();
    match schema.and_then(|s| rule_description(s, schema_path)) {
        Some(rule) => format!("{path}: {message} — {rule} ({source} at {schema_path})"),
        None => format!("{path}: {message} ({source} at {schema_path})"),
    }
}

fn message(error: &ValidationError) -> String {
    // The crate reports a failed `maxContains` with the text of a failed `contains`
    // ("None of ... are valid"), which says the opposite of what happened.
    if error.schema_path().as_str().ends_with("/maxContains") {
        return "more items match than the rule allows".to_owned();
    }
    // The crate's text for `not` quotes the whole subschema; the rule's description is shown
    // after the message instead.
    if matches!(error.kind(), ValidationErrorKind::Not { .. }) {
        return "the element matches what the rule forbids".to_owned();
    }
    // An object or array in the message would be the whole offending element, possibly a whole
    // resource: its path already says which one it is, so it is masked.
    if error.instance().is_object() || error.instance().is_array() {
        error.masked_with("the element").to_string()
    } else {
        error.to_string()
    }
}

fn display_path(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

fn truncate(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

/// The `description` of the deepest subschema on `schema_path` (a JSON pointer to the failing
/// keyword), the root excepted: the root's text is about the whole profile, not one rule.
fn rule_description<'s>(schema: &'s Value, schema_path: &str) -> Option<&'s str> {
    let mut node = schema;
    let mut found = None;
    for segment in schema_path.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        node = match node {
            Value::Object(map) => map.get(&segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return found,
        };
        if let Some(description) = node.get("description").and_then(Value::as_str) {
            found = Some(description);
        }
    }
    found
}

fn read_json(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

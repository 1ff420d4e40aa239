//! The OpenAPI document as the rule the service holds requests to: which methods a path
//! declares (405 with `Allow` for the others), which ids can exist (404 for one beyond 32
//! bits), and what each query parameter may be (400 for a value of the wrong type, one not in
//! its declared set, or a parameter given twice). Read once from the document itself, so the
//! document and the service cannot drift apart.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Method;
use rocket::{Data, Request};
use serde_json::Value;
use utoipa::OpenApi as _;

use super::openapi::ApiDoc;
use crate::problem::Problem;
use crate::web::request::QueryProblem;

const PREFIX: &str = "/api/v1";

/// What a query parameter may hold.
#[derive(Debug, Clone, PartialEq)]
enum Accepts {
    Integer,
    Boolean,
    OneOf(Vec<String>),
    Text,
}

struct Operation {
    method: Method,
    query: BTreeMap<String, Accepts>,
}

struct DeclaredPath {
    segments: Vec<String>,
    operations: Vec<Operation>,
}

fn declared() -> &'static [DeclaredPath] {
    static PATHS: OnceLock<Vec<DeclaredPath>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let document =
            serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises");
        read_paths(&document)
    })
}

fn read_paths(document: &Value) -> Vec<DeclaredPath> {
    let schemas = &document["components"]["schemas"];
    let Some(paths) = document["paths"].as_object() else {
        return Vec::new();
    };
    paths
        .iter()
        .map(|(path, item)| DeclaredPath {
            segments: path
                .trim_end_matches('/')
                .split('/')
                .map(str::to_owned)
                .collect(),
            operations: [
                ("get", Method::Get),
                ("put", Method::Put),
                ("post", Method::Post),
                ("delete", Method::Delete),
                ("patch", Method::Patch),
            ]
            .into_iter()
            .filter_map(|(key, method)| {
                let operation = item.get(key)?;
                let query = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| {
                        Some((p["name"].as_str()?.to_owned(), kind(&p["schema"], schemas)))
                    })
                    .collect();
                Some(Operation { method, query })
            })
            .collect(),
        })
        .collect()
}

/// A parameter's schema, its reference followed.
fn kind(schema: &Value, schemas: &Value) -> Accepts {
    let schema = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &schemas[name]
        }
        None => schema,
    };
    if let Some(values) = schema["enum"].as_array() {
        return Accepts::OneOf(
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        );
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"integer") {
        Accepts::Integer
    } else if types.contains(&"boolean") {
        Accepts::Boolean
    } else {
        Accepts::Text
    }
}

fn find(path: &str) -> Option<(&'static DeclaredPath, Vec<&str>)> {
    let path = path.strip_prefix(PREFIX)?;
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    declared()
        .iter()
        .find(|declared| {
            declared.segments.len() == segments.len()
                && declared
                    .segments
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
        })
        .map(|declared| (declared, segments))
}

/// The methods the document declares for `path`, with `HEAD` beside `GET`; `None` when it
/// declares no such path.
pub fn allowed_methods(path: &str) -> Option<Vec<Method>> {
    let (declared, _) = find(path)?;
    let mut methods: Vec<Method> = declared.operations.iter().map(|o| o.method).collect();
    if methods.contains(&Method::Get) {
        methods.push(Method::Head);
    }
    methods.sort_by_key(|method| method.as_str());
    Some(methods)
}

/// Whether `path` is a declared path whose `{id}` is no id at all (not a 32-bit number): such a
/// resource cannot exist, so the answer is 404 whatever else is wrong with the request.
pub fn names_an_impossible_id(path: &str) -> bool {
    find(path).is_some_and(|(declared, segments)| {
        declared
            .segments
            .iter()
            .zip(&segments)
            .any(|(p, s)| p.starts_with('{') && s.parse::<i32>().is_err())
    })
}

/// What is wrong with the query of a request by the document, if anything.
pub fn query_problem(path: &str, method: Method, query: Option<&str>) -> Option<Problem> {
    let (declared, _) = find(path)?;
    let method = if method == Method::Head {
        Method::Get
    } else {
        method
    };
    let operation = declared.operations.iter().find(|o| o.method == method)?;
    let mut seen = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        // Deep-object parameters (`map.email=…`) and parameters the document does not name are
        // the handler's to read.
        let Some(kind) = operation.query.get(name.as_ref()) else {
            continue;
        };
        if seen.contains(&name) {
            return Some(Problem::new("problem_query_repeated").arg("name", &name));
        }
        let fits = match kind {
            Accepts::Integer => value.parse::<i32>().is_ok(),
            Accepts::Boolean => value == "true" || value == "false",
            Accepts::OneOf(values) => values.iter().any(|v| *v == value),
            Accepts::Text => true,
        };
        if !fits {
            let (name, input) = (name.as_ref(), value.as_ref());
            return Some(match kind {
                Accepts::Integer => Problem::new("problem_query_not_integer")
                    .arg("name", name)
                    .arg("input", input),
                Accepts::Boolean => Problem::new("problem_query_not_boolean")
                    .arg("name", name)
                    .arg("input", input),
                Accepts::OneOf(values) => Problem::new("problem_query_not_one_of")
                    .arg("name", name)
                    .arg("input", input)
                    .arg("values", values.join(", ")),
                Accepts::Text => unreachable!("any text fits"),
            });
        }
        seen.push(name);
    }
    None
}

/// Checks the query of every API request against the document before any route sees it; the
/// API's guards refuse a request with a problem (`QueryProblem`) with 400.
pub struct QueryContract;

#[rocket::async_trait]
impl Fairing for QueryContract {
    fn info(&self) -> Info {
        Info {
            name: "API query contract",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _data: &mut Data<'_>) {
        let problem = query_problem(
            req.uri().path().as_str(),
            req.method(),
            req.uri().query().map(|q| q.as_str()),
        );
        if let Some(problem) = problem {
            req.local_cache(|| QueryProblem(Some(problem)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_paths_allow_their_methods_and_head_beside_get() {
        let allow = |path| {
            allowed_methods(path).map(|methods| {
                methods
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        };
        assert_eq!(allow("/api/v1/rounds").as_deref(), Some("GET, HEAD, POST"));
        assert_eq!(allow("/api/v1/rounds/7").as_deref(), Some("GET, HEAD, PUT"));
        assert_eq!(allow("/api/v1/rounds/7/close").as_deref(), Some("POST"));
        assert_eq!(allow("/api/v1/nothing"), None);
        assert_eq!(allow("/dashboard"), None);
        assert!(names_an_impossible_id("/api/v1/rounds/99999999999"));
        assert!(names_an_impossible_id("/api/v1/rounds/abc/close"));
        assert!(!names_an_impossible_id("/api/v1/rounds/7"));
        assert!(!names_an_impossible_id("/api/v1/rounds"));
    }

    #[test]
    fn a_query_holds_what_the_document_declares() {
        let problem = |query| {
            query_problem("/api/v1/actions", Method::Get, Some(query)).map(|p| p.to_string())
        };
        assert_eq!(problem("owner=3&status=open&overdue=true"), None);
        assert_eq!(
            problem("owner=2147483648").as_deref(),
            Some("problem_query_not_integer (name: owner, input: 2147483648)")
        );
        assert_eq!(
            problem("owner=1&owner=2").as_deref(),
            Some("problem_query_repeated (name: owner)")
        );
        assert!(
            problem("status=geplant")
                .unwrap()
                .contains("planned, running, done")
        );
        assert!(problem("overdue=null").is_some());
        assert_eq!(
            query_problem("/api/v1/rounds/3/results.csv", Method::Get, Some("lang=fr"))
                .map(|p| p.to_string())
                .as_deref(),
            Some("problem_query_not_one_of (name: lang, input: fr, values: de, en)")
        );
    }
}

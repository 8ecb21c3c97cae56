//! The OpenAPI document is generated from the handlers' annotations, then completed here with
//! what every operation shares (the error answers the gateway and extractors may give), so that
//! fifty handlers do not each repeat them and the document matches what the server really does.

use utoipa::openapi::content::Content;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{OpenApi, Ref, RefOr, Required};

const PROBLEM: &str = "application/problem+json";

pub fn complete(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in operations.into_iter().flatten() {
            query_parameters_in_the_query(path, op);
            complete_operation(op);
        }
    }
}

/// utoipa places the fields of an `IntoParams` struct by the extractor it sees, and knows axum's
/// `Query`, not our `ApiQuery`: they come out as required path parameters. The path template says
/// which parameters really are in the path; the others are in the query, optional when their
/// type admits null (an `Option`).
fn query_parameters_in_the_query(path: &str, op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        let RefOr::T(p) = p else { continue };
        if p.parameter_in != ParameterIn::Path || path.contains(&format!("{{{}}}", p.name)) {
            continue;
        }
        p.parameter_in = ParameterIn::Query;
        let schema = serde_json::to_value(&p.schema).unwrap_or_default();
        let nullable = schema["type"].as_array().is_some_and(|t| t.iter().any(|t| t == "null"));
        p.required = if nullable { Required::False } else { Required::True };
    }
}

fn complete_operation(op: &mut Operation) {
    for response in op.responses.responses.values_mut() {
        if let RefOr::T(r) = response {
            problems_are_problem_json(r);
        }
    }
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = op.request_body.is_some();
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut add = |status: &str, description: &str| {
        op.responses.responses.entry(status.to_string()).or_insert_with(|| RefOr::T(problem(description)));
    };
    if secured {
        add("401", "Not signed in: no token, or an invalid, expired or revoked one");
        add("403", "The caller's role (or API key's scope) does not allow this");
    }
    if has_body {
        add("400", "The body is not valid JSON");
        add("413", "The body is too large");
        add("415", "The body is not sent as application/json");
    }
    if has_body || has_params {
        add("400", "A malformed path parameter or header");
        add("422", "A missing or invalid field or parameter; `errors` names each");
    }
    // The gateway's rate limits apply to every route ([limits]).
    add("429", "Too many requests from this client or credential; Retry-After says when to try again");
    add("503", "The request took too long, or the server is shutting down");
}

/// utoipa describes every body as `application/json`; error bodies are really problem+json.
fn problems_are_problem_json(r: &mut Response) {
    let is_problem = matches!(
        r.content.get("application/json"),
        Some(RefOr::T(Content { schema: Some(RefOr::Ref(schema)), .. })) if schema.ref_location.ends_with("/Problem")
    );
    if is_problem && let Some(content) = r.content.shift_remove("application/json") {
        r.content.insert(PROBLEM.to_string(), content);
    }
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM, Content::new(Some(Ref::from_schema_name("Problem"))))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::OperationBuilder;
    use utoipa::openapi::security::SecurityRequirement;

    #[test]
    fn secured_operations_document_401_and_problems_are_problem_json() {
        let mut op = OperationBuilder::new()
            .response("404", problem("missing"))
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .build();
        if let Some(RefOr::T(r)) = op.responses.responses.get_mut("404") {
            let content = r.content.shift_remove(PROBLEM).unwrap();
            r.content.insert("application/json".into(), content);
        }
        complete_operation(&mut op);
        let codes: Vec<&str> = op.responses.responses.keys().map(String::as_str).collect();
        assert_eq!(codes, ["401", "403", "404", "429", "503"]);
        let Some(RefOr::T(r)) = op.responses.responses.get("404") else { panic!() };
        assert!(r.content.contains_key(PROBLEM) && !r.content.contains_key("application/json"));
    }
}

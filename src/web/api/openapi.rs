//! The OpenAPI 3.1 description of `/api/v1`, generated from the route attributes and the types
//! that cross the wire, so it cannot drift from the code.

use rocket::get;
use rocket::http::ContentType;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kundenpuls API",
        version = "1",
        description = "HR's and leadership's door to kundenpuls: organisation, rounds, schedules, reports, actions (Maßnahmen). \
                       Every call needs `Authorization: Bearer <token>` (`kundenpuls token create`)."
    ),
    servers((url = "/api/v1")),
    // The closed sets of query parameters, which `params(...)` refers to but does not register.
    components(schemas(
        super::error::LangParam,
        super::error::FormatParam,
        super::error::ActionStatusParam
    )),
    paths(
        super::me,
        super::questions,
        super::rounds::list,
        super::rounds::create,
        super::rounds::show,
        super::rounds::update,
        super::rounds::close,
        super::rounds::cancel,
        super::schedules::list,
        super::schedules::create,
        super::schedules::remove,
        super::tokens::list,
        super::tokens::revoke,
        super::employees::import_employees,
        super::reports::results,
        super::reports::results_csv,
        super::reports::trend,
        super::reports::department_trend,
        super::actions::list,
        super::actions::show,
        super::actions::create,
        super::actions::update,
        super::actions::note,
        super::actions::csv,
    ),
    modifiers(&BearerToken, &ProblemDetails),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every error body is problem details: declared as `application/problem+json`, the type the
/// service sends it with (`web::errors`), wherever an operation answers with `ApiError`.
struct ProblemDetails;

impl Modify for ProblemDetails {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                // Any operation can meet a parameter or body that cannot be read at all.
                operation
                    .responses
                    .responses
                    .entry("400".to_owned())
                    .or_insert_with(|| RefOr::T(malformed()));
                for response in operation.responses.responses.values_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    let is_problem =
                        response
                            .content
                            .get("application/json")
                            .is_some_and(|content| {
                                matches!(&content.schema, Some(RefOr::Ref(r))
                                if r.ref_location == "#/components/schemas/ApiError")
                            });
                    if is_problem
                        && let Some(content) = response.content.shift_remove("application/json")
                    {
                        response
                            .content
                            .insert("application/problem+json".to_owned(), content);
                    }
                }
            }
        }
    }
}

/// The 400 every operation can answer with.
fn malformed() -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description("Malformed request: a parameter or the body cannot be read")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ApiError")))
                .build(),
        )
        .build()
}

/// The document itself needs no token: it describes, it reveals nothing.
#[get("/openapi.json")]
pub fn document() -> (ContentType, String) {
    let json = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    (ContentType::JSON, json)
}

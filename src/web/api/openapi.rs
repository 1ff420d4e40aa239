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
    modifiers(&BearerToken),
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

/// The document itself needs no token: it describes, it reveals nothing.
#[get("/openapi.json")]
pub fn document() -> (ContentType, String) {
    let json = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    (ContentType::JSON, json)
}

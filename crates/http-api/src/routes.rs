//! The URL space. Fixed paths are registered before `{type}` patterns so that
//! `/fhir/metadata` and `/fhir/Patient/_history` never reach the read handler.

use actix_web::{web, HttpRequest, HttpResponse};
use gateway::GatewayError;

use crate::error::ApiError;
use crate::metrics::note_interaction;
use crate::terminology_ops as terms;
use crate::{capability, crud, health, history, hl7v2_routes, metrics, validate_op};

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/metrics", web::get().to(metrics::render))
        .route("/health/live", web::get().to(health::live))
        .route("/health/ready", web::get().to(health::ready))
        .service(fixed("/hl7v2").route(web::post().to(hl7v2_routes::post_message)))
        .service(fixed("/hl7v2/messages").route(web::get().to(hl7v2_routes::list_messages)))
        .service(fixed("/hl7v2/messages/{id}").route(web::get().to(hl7v2_routes::show_message)))
        .service(
            fixed("/hl7v2/messages/{id}/$replay")
                .route(web::post().to(hl7v2_routes::replay_message)),
        )
        .service(
            web::scope("/fhir")
                .service(fixed("/metadata").route(web::get().to(capability::metadata)))
                .service(fixed("/_history").route(web::get().to(history::system)))
                .service(fixed("/$validate").route(web::post().to(validate_op::system)))
                .configure(terminology_routes)
                .service(fixed("").route(web::post().to(not_implemented(
                    "batch and transaction Bundles are not supported yet",
                ))))
                .service(
                    fixed("/{type}")
                        .route(web::post().to(crud::create))
                        .route(web::get().to(not_implemented("search is not supported yet"))),
                )
                .service(fixed("/{type}/_history").route(web::get().to(history::for_type)))
                .service(fixed("/{type}/$validate").route(web::post().to(validate_op::for_type)))
                .service(
                    fixed("/{type}/{id}")
                        .route(web::get().to(crud::read))
                        .route(web::put().to(crud::update))
                        .route(web::delete().to(crud::delete))
                        .route(web::patch().to(not_implemented("PATCH is not supported yet"))),
                )
                .service(fixed("/{type}/{id}/_history").route(web::get().to(history::for_instance)))
                .service(
                    fixed("/{type}/{id}/$validate")
                        .route(web::post().to(validate_op::for_instance)),
                )
                .service(fixed("/{type}/{id}/_history/{version}").route(web::get().to(crud::vread)))
                .default_service(web::to(no_such_path)),
        )
        .default_service(web::to(no_such_path));
}

/// The terminology operations, before the `{type}` patterns that would
/// otherwise take `ValueSet/$expand` for a read. Each answers GET and POST.
fn terminology_routes(config: &mut web::ServiceConfig) {
    config
        .service(get_and_post("/ValueSet/$expand", terms::expand))
        .service(get_and_post("/ValueSet/{id}/$expand", terms::expand))
        .service(get_and_post(
            "/ValueSet/$validate-code",
            terms::value_set_validate_code,
        ))
        .service(get_and_post(
            "/ValueSet/{id}/$validate-code",
            terms::value_set_validate_code,
        ))
        .service(get_and_post(
            "/CodeSystem/$validate-code",
            terms::code_system_validate_code,
        ))
        .service(get_and_post(
            "/CodeSystem/{id}/$validate-code",
            terms::code_system_validate_code,
        ))
        .service(get_and_post("/CodeSystem/$lookup", terms::lookup))
        .service(get_and_post("/ConceptMap/$translate", terms::translate))
        .service(get_and_post(
            "/ConceptMap/{id}/$translate",
            terms::translate,
        ));
}

/// A resource answering GET and POST with the same handler.
fn get_and_post<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    fixed(path)
        .route(web::get().to(handler.clone()))
        .route(web::post().to(handler))
}

/// A resource whose other methods answer 405 with an OperationOutcome.
fn fixed(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    note_interaction(&request, "other", "");
    Err(ApiError(GatewayError::MethodNotAllowed(format!(
        "{} is not allowed on {}",
        request.method(),
        request.path()
    ))))
}

async fn no_such_path(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError(GatewayError::NoSuchPath(format!(
        "there is nothing at {} {}; the FHIR API is under /fhir",
        request.method(),
        request.path()
    ))))
}

fn not_implemented(
    what: &'static str,
) -> impl Fn(HttpRequest) -> std::future::Ready<Result<HttpResponse, ApiError>> + Clone {
    move |request: HttpRequest| {
        note_interaction(&request, "other", "");
        std::future::ready(Err(ApiError(GatewayError::NotImplemented(what.to_owned()))))
    }
}

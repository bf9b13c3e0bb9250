//! The one place a route is declared. Each feature lists its handlers in `routes(api)`; the
//! handler's `#[utoipa::path]` names its path and method, so the route served and the entry in
//! the OpenAPI document come from the same declaration and cannot drift apart. The route's rules
//! (the request deadline, the per-address limit of the sign-in endpoints, `Idempotency-Key`) are
//! declared there too, for a group of routes at once, and documented from the same declaration.

use actix_web::dev::HttpServiceFactory;
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{web, FromRequest, Handler, Responder, Route};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

/// What a route must do besides its handler's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Answers 503 when the handler has no answer by `middleware::REQUEST_DEADLINE`.
    pub deadline: bool,
    /// Counts against the per-address budget of the sign-in endpoints (429 beyond it).
    pub sign_in_limit: bool,
    /// A POST or PUT honours `Idempotency-Key` (`http::idempotency`).
    pub idempotent: bool,
}

impl Rules {
    /// Most of the API: a deadline, and the write budgets that `Require` applies to writes.
    pub const STANDARD: Rules = Rules {
        deadline: true,
        sign_in_limit: false,
        idempotent: true,
    };
    /// Routes that wait in an in-memory queue on purpose (webinar registration): no deadline.
    pub const QUEUED: Rules = Rules {
        deadline: false,
        ..Rules::STANDARD
    };
    /// A large upload (a content archive): no deadline, and no `Idempotency-Key` (the body is
    /// not read twice; importing the same archive again makes no new revision).
    pub const UPLOAD: Rules = Rules {
        deadline: false,
        idempotent: false,
        ..Rules::STANDARD
    };
    /// Sign-in, tokens and the links sent by mail: the per-address limit, and no deadline
    /// (password hashing queues). No `Idempotency-Key`: keys are per account, and these answers
    /// hold tokens that must not be kept.
    pub const SIGN_IN: Rules = Rules {
        deadline: false,
        sign_in_limit: true,
        idempotent: false,
    };
}

type Schemas = Vec<(String, RefOr<Schema>)>;

/// One declared route: what it serves and what the document says of it.
pub struct Entry {
    pub path: String,
    pub method: HttpMethod,
    pub operation: Operation,
    pub rules: Rules,
    schemas: Schemas,
    make: Box<dyn Fn() -> Route>,
}

/// The routes of the service, in the order declared.
pub struct Api {
    rules: Rules,
    entries: Vec<Entry>,
}

impl Default for Api {
    fn default() -> Self {
        Self {
            rules: Rules::STANDARD,
            entries: Vec::new(),
        }
    }
}

impl Api {
    /// Declares `handler` at the path and method its OpenAPI entry `doc` (the `__path_*` type
    /// `#[utoipa::path]` makes) names, under the rules in force.
    pub fn route<D, F, Args>(&mut self, _doc: D, handler: F) -> &mut Self
    where
        D: utoipa::Path + utoipa::__dev::SchemaReferences + utoipa::__dev::Tags<'static>,
        F: Handler<Args> + Clone + 'static,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let methods = D::methods();
        let [method] = methods.as_slice() else {
            panic!("{} must name exactly one method", D::path());
        };
        let method = method.clone();
        let actix_method = actix_method(&method);
        let rules = self.rules;
        let mut schemas = Vec::new();
        D::schemas(&mut schemas);
        let mut operation = D::operation();
        operation
            .tags
            .get_or_insert_with(Vec::new)
            .extend(D::tags().into_iter().map(str::to_owned));
        let idempotent = rules.idempotent && matches!(method, HttpMethod::Post | HttpMethod::Put);
        self.entries.push(Entry {
            path: D::path(),
            method,
            operation,
            rules,
            schemas,
            make: Box::new(move || {
                let mut route = web::method(actix_method.clone()).to(handler.clone());
                if rules.sign_in_limit {
                    route = route.wrap(from_fn(super::middleware::sign_in_limit));
                }
                if rules.deadline {
                    route = route.wrap(from_fn(super::middleware::deadline));
                }
                // Outside the deadline, so a request cut short releases its key.
                if idempotent {
                    route = route.wrap(from_fn(super::idempotency::idempotency));
                }
                route
            }),
        });
        self
    }

    /// Declares the routes of `declare` under `rules`.
    pub fn with(&mut self, rules: Rules, declare: impl FnOnce(&mut Api)) -> &mut Self {
        let outer = std::mem::replace(&mut self.rules, rules);
        declare(self);
        self.rules = outer;
        self
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Serves the routes: one resource a path, so a method it lacks answers 405 with `Allow`.
    pub fn register(self, cfg: &mut web::ServiceConfig) {
        for resource in self.into_resources() {
            cfg.service(resource);
        }
    }

    fn into_resources(self) -> Vec<impl HttpServiceFactory> {
        let mut paths: Vec<(String, Vec<Entry>)> = Vec::new();
        for entry in self.entries {
            match paths.iter_mut().find(|(path, _)| *path == entry.path) {
                Some((_, entries)) => entries.push(entry),
                None => paths.push((entry.path.clone(), vec![entry])),
            }
        }
        paths
            .into_iter()
            .map(|(path, entries)| {
                entries.iter().fold(web::resource(path), |resource, entry| {
                    resource.route((entry.make)())
                })
            })
            .collect()
    }

    /// Adds every route's operation and the schemas it names to `doc`.
    pub fn document(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for entry in &self.entries {
            for (name, schema) in &entry.schemas {
                components
                    .schemas
                    .entry(name.clone())
                    .or_insert_with(|| schema.clone());
            }
        }
        for entry in &self.entries {
            doc.paths.add_path_operation(
                &entry.path,
                vec![entry.method.clone()],
                entry.operation.clone(),
            );
        }
    }

    /// The rules of the route at `path` (as the document writes it) and `method`.
    pub fn rules_of(&self, path: &str, method: &HttpMethod) -> Option<Rules> {
        self.entries
            .iter()
            .find(|e| e.path == path && e.method == *method)
            .map(|e| e.rules)
    }
}

fn actix_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_is_declared_once_with_the_rules_its_kind_needs() {
        let api = crate::api();
        let mut seen = std::collections::HashSet::new();
        for entry in api.entries() {
            assert!(
                seen.insert((entry.path.clone(), actix_method(&entry.method).to_string())),
                "{} {} is declared twice",
                actix_method(&entry.method),
                entry.path
            );
            // Every sign-in route, and only those, spends the per-address sign-in budget.
            assert_eq!(
                entry.rules.sign_in_limit,
                entry.path.starts_with("/api/v1/auth/"),
                "{} {}",
                actix_method(&entry.method),
                entry.path
            );
        }
        let queued: Vec<String> = api
            .entries()
            .iter()
            .filter(|e| !e.rules.deadline && !e.rules.sign_in_limit)
            .map(|e| format!("{} {}", actix_method(&e.method), e.path))
            .collect();
        assert_eq!(
            queued,
            [
                "POST /api/v1/webinar-series/{id}/registrations",
                "POST /api/v1/admin/content/import",
            ]
        );
        // Every POST and PUT honours Idempotency-Key but the sign-in routes, the upload and the
        // start of linking a provider (its answer is a one-time URL bound to a cookie).
        let without: Vec<String> = api
            .entries()
            .iter()
            .filter(|e| matches!(e.method, HttpMethod::Post | HttpMethod::Put))
            .filter(|e| !e.rules.idempotent && !e.rules.sign_in_limit)
            .map(|e| format!("{} {}", actix_method(&e.method), e.path))
            .collect();
        assert_eq!(
            without,
            [
                "POST /api/v1/me/identities/{provider}/start",
                "POST /api/v1/admin/content/import"
            ]
        );
    }
}

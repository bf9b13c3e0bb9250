//! HTTP for staff and role changes (`/admin/users`, `/admin/users/{id}/role`, administrators).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{roles, Require, Role};
use crate::error::{AppResult, Problem};
use crate::http::fields::EmailAddress;
use crate::http::json::Json;
use crate::orgs::service::users as service;
use crate::AppState;

/// The new role, with the place it needs: a coordinator works at a USHT; a mentor may belong
/// to a municipality.
#[derive(Deserialize)]
#[serde(tag = "role", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChangeRole {
    Mentor {
        #[serde(default)]
        municipality_id: Option<Uuid>,
    },
    Facilitator {},
    Coordinator {
        usht_id: Uuid,
    },
    Admin {},
}

impl utoipa::PartialSchema for ChangeRole {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        // Written out: the derived schema would let unknown fields through each variant.
        let variant = |role: &str, properties: serde_json::Value, required: &[&str]| {
            let mut props = serde_json::json!({"role": {"type": "string", "enum": [role]}});
            if let (Some(all), Some(more)) = (props.as_object_mut(), properties.as_object()) {
                all.extend(more.clone());
            }
            let mut needed = vec!["role"];
            needed.extend_from_slice(required);
            serde_json::json!({
                "type": "object",
                "properties": props,
                "required": needed,
                "additionalProperties": false,
            })
        };
        let uuid = |description: &str| serde_json::json!({"type": "string", "format": "uuid", "description": description});
        let schema = serde_json::json!({
            "description": "The new role, with the place it needs: a coordinator works at a USHT; a mentor may belong to a municipality.",
            "oneOf": [
                variant("mentor", serde_json::json!({"municipality_id": {"type": ["string", "null"], "format": "uuid", "description": "The mentor's municipality (optional)."}}), &[]),
                variant("facilitator", serde_json::json!({}), &[]),
                variant("coordinator", serde_json::json!({"usht_id": uuid("The USHT the coordinator works at.")}), &["usht_id"]),
                variant("admin", serde_json::json!({}), &[]),
            ],
        });
        utoipa::openapi::RefOr::T(
            serde_json::from_value(schema).expect("the role change schema is valid"),
        )
    }
}

impl utoipa::ToSchema for ChangeRole {}

impl validator::Validate for ChangeRole {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

impl ChangeRole {
    fn role(&self) -> Role {
        match self {
            ChangeRole::Mentor { .. } => Role::Mentor,
            ChangeRole::Facilitator {} => Role::Facilitator,
            ChangeRole::Coordinator { .. } => Role::Coordinator,
            ChangeRole::Admin {} => Role::Admin,
        }
    }

    /// (municipality, USHT).
    fn place(&self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            ChangeRole::Mentor { municipality_id } => (*municipality_id, None),
            ChangeRole::Coordinator { usht_id } => (None, Some(*usht_id)),
            ChangeRole::Facilitator {} | ChangeRole::Admin {} => (None, None),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoleChanged {
    pub id: Uuid,
    pub role: Role,
    pub usht_id: Option<Uuid>,
    pub municipality_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/api/v1/admin/users/{id}/role", tag = "organisations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = ChangeRole,
    responses(
        (status = 200, description = "Role changed; the user's sessions end so the next sign-in carries it", body = RoleChanged),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Administrators only", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 409, description = "`own_role`: administrators cannot change their own role", body = Problem),
        (status = 422, description = "Invalid body", body = Problem)))]
pub async fn change_role(
    state: web::Data<AppState>,
    caller: Require<roles::Admin>,
    id: web::Path<Uuid>,
    body: Json<ChangeRole>,
) -> AppResult<HttpResponse> {
    let (municipality_id, usht_id) = body.place();
    service::change_role(&state, &caller, *id, body.role(), municipality_id, usht_id).await?;
    Ok(HttpResponse::Ok().json(RoleChanged {
        id: *id,
        role: body.role(),
        usht_id,
        municipality_id,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StaffQuery {
    /// `facilitator`, `coordinator` or `admin` (without it, every member of staff); `mentor`
    /// only together with `email`.
    pub role: Option<Role>,
    /// The one account with exactly this address (any role, mentors too), to find the person
    /// whose role an administrator changes.
    #[param(value_type = Option<String>, format = Email, max_length = 254)]
    pub email: Option<EmailAddress>,
}

/// An account, with its place: the USHT a coordinator works at, a mentor's municipality.
#[derive(Serialize, ToSchema)]
pub struct StaffView {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub usht_id: Option<Uuid>,
    pub municipality_id: Option<Uuid>,
}

#[utoipa::path(get, path = "/api/v1/admin/users", tag = "organisations", security(("bearer" = [])),
    params(StaffQuery),
    responses(
        (status = 200, description = "The accounts with this staff role (without `role`, every member of staff), by name (at most 500 per role), for instance to choose a series' facilitator; with `email`, the one account with that address (an empty list if there is none, or if it has another role than `role`)", body = [StaffView]),
        (status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Administrators only", body = Problem),
        (status = 422, description = "`role` unknown or `mentor` without `email`, or `email` not an address", body = Problem)))]
pub async fn list_staff(
    state: web::Data<AppState>,
    _caller: Require<roles::Admin>,
    query: web::Query<StaffQuery>,
) -> AppResult<HttpResponse> {
    let staff: Vec<StaffView> = service::staff(&state, query.role, query.email.as_deref())
        .await?
        .into_iter()
        .map(|m| StaffView {
            id: m.id,
            name: m.name,
            email: m.email,
            role: m.role,
            usht_id: m.usht_id,
            municipality_id: m.municipality_id,
        })
        .collect();
    Ok(HttpResponse::Ok().json(staff))
}

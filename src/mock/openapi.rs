//! The OpenAPI 3.1 document of the mock server, built as JSON and served at
//! `GET /openapi.json`: the control API and the mock Chup API (at the paths
//! this server was configured with). It describes; the handlers in
//! `control.rs` and `chup_api.rs` decide. `tests/serve.rs` checks that it
//! names every route.

use super::App;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

fn error_ref(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn ok_ref(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
    })
}

fn body_ref(schema: &str, required: bool) -> Value {
    json!({
        "required": required,
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
    })
}

fn id_param(name: &str, description: &str, integer: bool) -> Value {
    json!({
        "name": name,
        "in": "path",
        "required": true,
        "description": description,
        "schema": {"type": if integer { "integer" } else { "string" }}
    })
}

/// The document for a server with these Chup API paths and token setting.
pub(crate) fn document(auth_path: &str, alerts_path: &str, token_required: bool) -> Value {
    let control_security = if token_required {
        json!([{"controlToken": []}])
    } else {
        json!([])
    };
    let unauthorized = error_ref("the control token is missing or wrong");
    let mut paths = serde_json::Map::new();
    paths.insert("/openapi.json".into(), json!({
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "the OpenAPI document", "content": {"application/json": {}}}}
        }
    }));
    paths.insert("/control/info".into(), json!({
        "get": {
            "operationId": "info",
            "summary": "What the server sends to and how: target (redacted), signing profile, secret fingerprint, retry schedule, mock Chup API paths",
            "security": control_security,
            "responses": {"200": ok_ref("server facts", "Info"), "401": unauthorized}
        }
    }));
    paths.insert("/control/scenarios".into(), json!({
        "get": {
            "operationId": "listScenarios",
            "summary": "List the scenarios with their steps",
            "security": control_security,
            "responses": {
                "200": {"description": "every scenario", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Scenario"}}}}},
                "401": unauthorized
            }
        }
    }));
    paths.insert("/control/scenarios/{name}/run".into(), json!({
        "post": {
            "operationId": "runScenario",
            "summary": "Run a scenario against the target: each step is signed and sent in order, on fresh ids; answers after each step's first attempt",
            "security": control_security,
            "parameters": [id_param("name", "scenario name", false)],
            "requestBody": body_ref("RunRequest", false),
            "responses": {
                "200": ok_ref("the deliveries made", "RunResult"),
                "401": unauthorized,
                "404": error_ref("no such scenario"),
                "422": error_ref("bad request body")
            }
        }
    }));
    paths.insert("/control/events".into(), json!({
        "post": {
            "operationId": "sendEvent",
            "summary": "Generate one event (state, dialect, field overrides of data), sign it and send it; answers after the first attempt",
            "security": control_security,
            "requestBody": body_ref("EventRequest", true),
            "responses": {
                "200": ok_ref("the delivery, with the generator's seed", "Delivery"),
                "401": unauthorized,
                "413": error_ref("request body too large"),
                "422": error_ref("bad request body, unknown event, dialect or state")
            }
        }
    }));
    paths.insert("/control/deliveries".into(), json!({
        "get": {
            "operationId": "listDeliveries",
            "summary": "The delivery log, oldest first, with the log's version (it changes on every change)",
            "security": control_security,
            "responses": {"200": ok_ref("the log", "DeliveryLog"), "401": unauthorized}
        },
        "delete": {
            "operationId": "clearDeliveries",
            "summary": "Clear the log and stop every retry in flight (the visits sent are kept for alerts)",
            "security": control_security,
            "responses": {
                "200": {"description": "how many were removed", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["cleared"], "properties": {"cleared": {"type": "integer"}}}}}},
                "401": unauthorized
            }
        }
    }));
    paths.insert("/control/deliveries/{id}".into(), json!({
        "get": {
            "operationId": "getDelivery",
            "summary": "One delivery",
            "security": control_security,
            "parameters": [id_param("id", "delivery id", true)],
            "responses": {"200": ok_ref("the delivery", "Delivery"), "401": unauthorized, "404": error_ref("no such delivery")}
        }
    }));
    paths.insert("/control/deliveries/{id}/resend".into(), json!({
        "post": {
            "operationId": "resendDelivery",
            "summary": "Send a delivery again: the same bytes, or re-signed (resign, signing); a new delivery with its own retries",
            "security": control_security,
            "parameters": [id_param("id", "delivery id", true)],
            "requestBody": body_ref("ResendRequest", false),
            "responses": {
                "200": ok_ref("the new delivery", "Delivery"),
                "401": unauthorized,
                "404": error_ref("no such delivery"),
                "422": error_ref("bad request body")
            }
        }
    }));
    paths.insert("/control/visits".into(), json!({
        "get": {
            "operationId": "listVisits",
            "summary": "The visits this server has sent (what the mock Chup API can alert), with their last state",
            "security": control_security,
            "responses": {
                "200": {"description": "visits", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Visit"}}}}},
                "401": unauthorized
            }
        }
    }));
    paths.insert(auth_path.into(), json!({
        "post": {
            "operationId": "chupAuthToken",
            "tags": ["mock Chup API"],
            "summary": "Mock Chup API (SPEC section 6): exchange api_key, business_id and email for a bearer token",
            "security": [],
            "requestBody": body_ref("AuthRequest", true),
            "responses": {
                "200": ok_ref("a token", "TokenResponse"),
                "401": error_ref("wrong credentials"),
                "422": error_ref("bad request body")
            }
        }
    }));
    paths.insert(alerts_path.into(), json!({
        "post": {
            "operationId": "chupAlert",
            "tags": ["mock Chup API"],
            "summary": "Mock Chup API: alert a patient; the server then sends the signed live_queue_updated (state 2, Alerted) to the target",
            "security": [{"chupToken": []}],
            "requestBody": body_ref("AlertRequest", true),
            "responses": {
                "202": ok_ref("accepted; the webhook is on its way", "AlertResponse"),
                "401": error_ref("missing, unknown or expired token"),
                "404": error_ref("a visit this server has not sent"),
                "409": error_ref("the visit's state cannot be alerted"),
                "422": error_ref("bad request body")
            }
        }
    }));

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "chup-harness mock Chup Online server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Control API of `chup-harness serve` and the mock Chup REST API. Every error body is {\"error\": \"...\"}. The signing secret is never part of any response; only its fingerprint is."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "controlToken": {"type": "http", "scheme": "bearer", "description": "the --control-token of the server"},
                "chupToken": {"type": "http", "scheme": "bearer", "description": "a token from the mock Chup auth endpoint"}
            },
            "schemas": schemas()
        }
    })
}

fn schemas() -> Value {
    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "string"}}
        },
        "Info": {
            "type": "object",
            "properties": {
                "harness_version": {"type": "string"},
                "target": {"type": "string", "description": "credentials redacted as ***"},
                "signing": {"type": "string", "enum": ["compact", "php"]},
                "secret_fingerprint": {"type": "string"},
                "retry": {"type": "object", "properties": {
                    "schedule": {"type": "string"},
                    "delays_ms": {"type": "array", "items": {"type": "integer"}},
                    "compress": {"type": "number"},
                    "attempts": {"type": "integer"}
                }},
                "timeout_ms": {"type": "integer"},
                "control_token_required": {"type": "boolean"},
                "chup_api": {"type": "object"},
                "events": {"type": "array", "items": {"type": "string"}},
                "dialects": {"type": "array", "items": {"type": "string"}},
                "signing_profiles": {"type": "array", "items": {"type": "string"}}
            }
        },
        "Scenario": {
            "type": "object", "required": ["name", "description", "steps"],
            "properties": {
                "name": {"type": "string"},
                "description": {"type": "string"},
                "steps": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "event": {"type": "string"}}}}
            }
        },
        "RunRequest": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "dialect": {"type": "string", "enum": ["canonical", "seed", "mixed"], "default": "canonical"},
                "signing": {"type": "string", "enum": ["compact", "php"]}
            }
        },
        "RunResult": {
            "type": "object", "required": ["scenario", "id_base", "deliveries"],
            "properties": {
                "scenario": {"type": "string"},
                "id_base": {"type": "integer"},
                "deliveries": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "step": {"type": "string"}, "event": {"type": "string"},
                    "record": {"type": ["string", "null"]}, "state": {"$ref": "#/components/schemas/DeliveryState"},
                    "status": {"type": ["integer", "null"]}}}}
            }
        },
        "EventRequest": {
            "type": "object", "required": ["event"], "additionalProperties": false,
            "properties": {
                "event": {"type": "string", "description": "a Chup event name, e.g. live_queue_created"},
                "state": {"type": "integer", "description": "state code of a visit or appointment; its state_name follows"},
                "dialect": {"type": "string", "enum": ["canonical", "seed", "mixed"], "default": "seed"},
                "signing": {"type": "string", "enum": ["compact", "php"]},
                "seed": {"type": "integer", "minimum": 0},
                "overrides": {"type": "object", "description": "fields of data to set after generating"}
            }
        },
        "ResendRequest": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "resign": {"type": "boolean", "default": false},
                "signing": {"type": "string", "enum": ["compact", "php"]}
            }
        },
        "DeliveryState": {"type": "string", "enum": ["pending", "delivered", "failed", "interrupted"]},
        "Origin": {
            "type": "object", "required": ["kind"],
            "properties": {
                "kind": {"type": "string", "enum": ["scenario", "event", "alert", "resend"]},
                "scenario": {"type": "string"}, "step": {"type": "string"},
                "of": {"type": "integer"}, "resigned": {"type": "boolean"}
            }
        },
        "Attempt": {
            "type": "object", "required": ["n", "started_unix_ms", "latency_ms", "body"],
            "properties": {
                "n": {"type": "integer"},
                "started_unix_ms": {"type": "integer"},
                "status": {"type": ["integer", "null"]},
                "latency_ms": {"type": "number"},
                "content_type": {"type": ["string", "null"]},
                "body": {"type": "string"},
                "error": {"type": ["string", "null"]}
            }
        },
        "Delivery": {
            "type": "object",
            "required": ["id", "created_unix_ms", "origin", "event", "target", "signing", "signature", "request", "state", "attempts"],
            "properties": {
                "id": {"type": "integer"},
                "created_unix_ms": {"type": "integer"},
                "origin": {"$ref": "#/components/schemas/Origin"},
                "event": {"type": "string"},
                "record": {"type": ["string", "null"]},
                "target": {"type": "string"},
                "signing": {"type": "string"},
                "signature": {"type": "string"},
                "request": {"type": "string", "description": "the exact request body"},
                "state": {"$ref": "#/components/schemas/DeliveryState"},
                "attempts": {"type": "array", "items": {"$ref": "#/components/schemas/Attempt"}},
                "next_attempt_unix_ms": {"type": ["integer", "null"]},
                "seed": {"type": "integer"}
            }
        },
        "DeliveryLog": {
            "type": "object", "required": ["version", "deliveries"],
            "properties": {
                "version": {"type": "integer"},
                "deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}}
            }
        },
        "Visit": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"}, "event": {"type": "string"},
                "state": {"type": "integer"}, "state_name": {"type": "string"},
                "client_name": {"type": "string"}, "service_name": {"type": "string"},
                "updated_at": {"type": "string"}
            }
        },
        "AuthRequest": {
            "type": "object", "required": ["api_key", "business_id", "email"],
            "properties": {
                "api_key": {"type": "string"},
                "business_id": {"type": ["string", "integer"]},
                "email": {"type": "string"}
            }
        },
        "TokenResponse": {
            "type": "object", "required": ["token", "token_type", "expires_in"],
            "properties": {
                "token": {"type": "string"},
                "token_type": {"const": "Bearer"},
                "expires_in": {"type": "integer"}
            }
        },
        "AlertRequest": {
            "type": "object", "required": ["live_queue_id"],
            "properties": {"live_queue_id": {"type": ["integer", "string"]}}
        },
        "AlertResponse": {
            "type": "object", "required": ["status", "live_queue_id", "delivery_id"],
            "properties": {
                "status": {"const": "alerted"},
                "live_queue_id": {"type": "integer"},
                "delivery_id": {"type": "integer"}
            }
        }
    })
}

pub(crate) async fn handle(State(app): State<Arc<App>>) -> Response {
    Json(document(
        &app.api.auth_path,
        &app.api.alerts_path,
        app.control_token.is_some(),
    ))
    .into_response()
}

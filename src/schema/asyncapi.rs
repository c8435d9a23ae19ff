//! The AsyncAPI 3.0 document: Chup Online (the application described)
//! sends one message per event over one HTTP channel, the clinic's outgoing
//! URL. Message payloads are the webhook body, built from the same JSON
//! Schema parts as `body.schema.json`, placed under `components.schemas`
//! (AsyncAPI's default schema format is a superset of JSON Schema draft-07,
//! and every keyword used here means the same there).

use super::json_schema::{self, payload_def_name};
use super::yaml::to_yaml;
use crate::model::EventName;
use serde_json::{json, Map, Value};

const CHANNEL: &str = "outgoingWebhook";

/// Points every `#/$defs/NAME` reference at `#/components/schemas/NAME`.
fn to_components(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(s) if k == "$ref" => {
                        if let Some(name) = s.strip_prefix("#/$defs/") {
                            *s = format!("#/components/schemas/{name}");
                        }
                    }
                    _ => to_components(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(to_components),
        _ => {}
    }
}

fn body_name(event: EventName) -> String {
    format!("body_{}", event.as_str())
}

fn schemas() -> Map<String, Value> {
    let mut s = Map::new();
    s.insert(
        "headers".to_owned(),
        json!({
            "type": "object",
            "description": "HTTP request headers. Chup Online documents none; these are what chup-harness sends. A receiver must not require any header beyond Content-Type.",
            "properties": {
                "Content-Type": { "type": "string", "const": "application/json" },
                "User-Agent": {
                    "type": "string",
                    "description": "chup-harness/<version> when chup-harness sends; Chup Online's own value is not documented."
                }
            }
        }),
    );
    s.insert("signature".to_owned(), json_schema::signature());
    for event in EventName::ALL {
        s.insert(
            body_name(event),
            json!({
                "title": format!("{event} body"),
                "type": "object",
                "required": ["payload", "signature"],
                "properties": {
                    "payload": { "$ref": format!("#/components/schemas/{}", payload_def_name(event)) },
                    "signature": { "$ref": "#/components/schemas/signature" }
                },
                "additionalProperties": true
            }),
        );
    }
    for event in EventName::ALL {
        let mut p = json_schema::payload(event);
        to_components(&mut p);
        s.insert(payload_def_name(event), p);
    }
    for (name, mut def) in json_schema::shared_defs() {
        to_components(&mut def);
        s.insert(name, def);
    }
    s
}

fn message(event: EventName) -> Value {
    json!({
        "name": event.as_str(),
        "title": event.as_str(),
        "summary": json_schema::payload_description(event),
        "description": "The body is {\"payload\": {\"event\", \"timestamp\", \"data\"}, \"signature\"}. The signature is hex(HMAC-SHA256(secret, payload bytes)) and travels in the body, not in a header; see the signature schema.",
        "contentType": "application/json",
        "headers": { "$ref": "#/components/schemas/headers" },
        "payload": { "$ref": format!("#/components/schemas/{}", body_name(event)) },
        "x-chup-assumed": !event.is_documented()
    })
}

/// The whole document as a JSON value (what the YAML text spells).
pub fn document() -> Value {
    let mut messages = Map::new();
    let mut channel_messages = Map::new();
    let mut operation_messages = Vec::new();
    for event in EventName::ALL {
        let name = event.as_str();
        messages.insert(name.to_owned(), message(event));
        channel_messages.insert(
            name.to_owned(),
            json!({ "$ref": format!("#/components/messages/{name}") }),
        );
        operation_messages.push(json!({ "$ref": format!("#/channels/{CHANNEL}/messages/{name}") }));
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Chup Online outgoing webhooks",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The webhooks Chup Online (a Malaysian clinic queue and appointment service) sends to a clinic's receiver (HIS), as chup-harness models and plays them. Chup Online POSTs one JSON body per event to the one outgoing URL configured on the clinic's settings page; the receiver switches on payload.event. Example payloads exist in the Chup docs only for appointment_created, appointment_updated, live_queue_created and live_queue_updated; the payloads of the other thirteen events are ASSUMED (x-chup-assumed: true). Nothing is documented about retries, timeouts, ordering or duplicates. Generated by `chup-harness schema --out DIR`, beside body.schema.json and payloads/<event>.schema.json."
        },
        "defaultContentType": "application/json",
        "servers": {
            "receiver": {
                "host": "{receiverHost}",
                "protocol": "https",
                "description": "The clinic's receiver (HIS): the host of the outgoing URL configured in Chup Online. The URL may carry credentials (basic auth, or a query token).",
                "variables": {
                    "receiverHost": {
                        "description": "host[:port] of the configured outgoing URL.",
                        "default": "his.example"
                    }
                }
            }
        },
        "channels": {
            CHANNEL: {
                "address": "{outgoingPath}",
                "title": "Outgoing webhook URL",
                "description": "One URL per clinic receives every event. Each delivery is an HTTP POST of one signed JSON body.",
                "servers": [{ "$ref": "#/servers/receiver" }],
                "parameters": {
                    "outgoingPath": {
                        "description": "The path (and query) of the configured outgoing URL."
                    }
                },
                "messages": channel_messages
            }
        },
        "operations": {
            "deliverWebhook": {
                "action": "send",
                "title": "Deliver a webhook",
                "summary": "Chup Online POSTs a signed event body to the clinic's outgoing URL.",
                "description": "A correct receiver answers 2xx to every validly signed event, including event types it does not handle, and 401 or 403 to a missing or wrong signature.",
                "channel": { "$ref": format!("#/channels/{CHANNEL}") },
                "messages": operation_messages,
                "bindings": { "http": { "method": "POST", "bindingVersion": "0.3.0" } }
            }
        },
        "components": {
            "messages": messages,
            "schemas": schemas()
        }
    })
}

/// The document as YAML, with a header saying where it comes from.
pub fn yaml() -> String {
    format!(
        "# Generated by `chup-harness schema --out DIR`; do not edit by hand.\n{}",
        to_yaml(&document())
    )
}

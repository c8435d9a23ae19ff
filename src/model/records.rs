//! The records a payload's `data` holds. Visits and appointments carry every
//! field of the documented examples, in the documented order. Clients,
//! services and staff have no example in the Chup docs: their shapes are
//! **assumed** by this project from fields the examples do show, and say so.
//!
//! Every record keeps fields it does not know in `extra`, so nothing a real
//! sender adds is lost on a round trip.

use super::fields::{Id, Notes, StateField};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A live-queue record: one patient's visit at one service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: Id,
    pub appointment_id: Option<Id>,
    pub appointment_date: Option<String>,
    pub appointment_time: Option<String>,
    pub registered_client_id: Option<Id>,
    pub registered_client_name: Option<String>,
    pub registered_client_phone: Option<String>,
    pub client_name: String,
    pub state: StateField,
    pub state_name: String,
    pub service_id: Id,
    pub service_name: String,
    pub staff_id: Option<Id>,
    pub staff_name: Option<String>,
    pub notes: Notes,
    pub created_at: String,
    pub updated_at: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An appointment (booking).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: Id,
    pub date: String,
    pub time: String,
    pub original_date: String,
    pub original_time: String,
    pub reschedule_state: i64,
    pub reschedule_state_name: String,
    pub rescheduled_by: i64,
    pub rescheduled_by_name: String,
    pub duration: Option<i64>,
    pub registered_client_id: Option<Id>,
    pub registered_client_name: Option<String>,
    pub registered_client_phone: Option<String>,
    pub client_name: String,
    pub client_phone: Option<String>,
    pub client_email: Option<String>,
    pub state: StateField,
    pub state_name: String,
    pub package_type: i64,
    pub package_type_name: String,
    pub admin_remarks: Option<String>,
    /// Always `null` in the docs; its shape is unknown, so it is kept as JSON.
    pub addons: Option<Value>,
    pub scheduled_by_staff_id: Option<Id>,
    pub scheduled_by_staff_name: Option<String>,
    pub service_id: Id,
    pub service_name: String,
    pub staff_id: Option<Id>,
    pub staff_name: Option<String>,
    pub notes: Notes,
    pub created_at: String,
    pub updated_at: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A clinic's client (patient). **Assumed shape**: the docs show client
/// fields only inside visits and appointments (`registered_client_*`,
/// `client_email`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub id: Id,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A reference to a service or a staff member by id and name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ref {
    pub id: Id,
    pub name: String,
}

/// A clinic service (Registration, Pharmacy, ...). **Assumed shape**.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub id: Id,
    pub name: String,
    /// The staff who serve it (what `service_staffs_updated` changes).
    pub staffs: Vec<Ref>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A staff member. **Assumed shape**.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    pub id: Id,
    pub name: String,
    /// The services they serve (what `staff_services_updated` changes).
    pub services: Vec<Ref>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

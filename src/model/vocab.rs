//! The named values of Chup's enumerations, as far as the docs show them.
//! Every type here is open: it wraps any integer, and `name()` is `None` for
//! a value the docs do not name. Nothing here invents a name.

macro_rules! open_enum {
    ($(#[$doc:meta])* $ty:ident { $($konst:ident = $val:literal => $name:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(pub i64);

        impl $ty {
            $(pub const $konst: $ty = $ty($val);)+
            /// Every value the docs name.
            pub const KNOWN: &'static [$ty] = &[$($ty($val)),+];

            /// The documented display name, `None` for an undocumented value.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($name),)+
                    _ => None,
                }
            }
        }
    };
}

open_enum! {
    /// A live-queue (visit) state.
    VisitState {
        IN_QUEUE = 1 => "In Queue",
        ALERTED = 2 => "Alerted",
        ARRIVED = 3 => "Arrived",
        SERVING = 4 => "Serving",
        SERVED = 5 => "Served",
        CANCELLED = 7 => "Cancelled",
        NO_SHOW = 8 => "No Show",
    }
}

impl VisitState {
    /// The upper-case name used in the object form of `state`. The docs show
    /// only `ARRIVED`; the others follow the same rule (upper case, spaces as
    /// underscores) and are a decision of this project, used only when
    /// generating.
    pub fn object_name(self) -> Option<String> {
        self.name().map(|n| n.to_uppercase().replace(' ', "_"))
    }

    /// True for states a visit does not leave except by "back from no show".
    pub fn is_final(self) -> bool {
        matches!(self, VisitState::SERVED | VisitState::CANCELLED)
    }
}

open_enum! {
    /// An appointment's state.
    AppointmentState { BOOKED = 1 => "Booked" }
}

impl AppointmentState {
    /// See [`VisitState::object_name`].
    pub fn object_name(self) -> Option<String> {
        self.name().map(|n| n.to_uppercase().replace(' ', "_"))
    }
}

open_enum! {
    /// `reschedule_state` of an appointment.
    RescheduleState {
        NOT_RESCHEDULED = 1 => "Not Rescheduled",
        MANUAL_RESCHEDULED = 2 => "Manual Rescheduled",
    }
}

open_enum! {
    /// `rescheduled_by` of an appointment.
    RescheduledBy {
        NOT_RESCHEDULED = 1 => "Not Rescheduled",
        PATIENT = 3 => "Patient",
    }
}

open_enum! {
    /// `package_type` of an appointment.
    PackageType { SELF_PAY = 1 => "Self pay" }
}

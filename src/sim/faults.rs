//! The faults the simulated host sends, with the codes chosen for each case.
//!
//! Choices (hyperv-wsman.md §13, §20; where Windows' exact answer is unknown the pick is ours):
//! * bad/missing/unexpected selectors → `s:Sender` `w:InvalidSelectors` 2150858813
//!   (2150858842 when a key is missing, 2150858843 for an unknown key);
//! * unknown instance (Get, job methods) → `s:Sender` `a:DestinationUnreachable`
//!   2150858752 (RESOURCE_NOT_FOUND);
//! * unknown resource URI → `a:DestinationUnreachable` 2150858811 (INVALID_RESOURCE_URI);
//! * unknown action or method → `a:ActionNotSupported` 2150858811;
//! * bad WQL, unknown class or property → `n:CannotProcessFilter` 2150858778, enumeration
//!   fault action;
//! * unknown or expired enumeration context → `n:InvalidEnumerationContext` 2150858779;
//! * MaxEnvelopeSize below 8192 or above 512000 (Windows' default `MaxEnvelopeSizekb` 500),
//!   or a single item larger than the page → `w:EncodingLimit` 2150858824;
//! * too many open enumeration contexts → `w:QuotaLimit` 2150859174;
//! * malformed request envelope → `w:SchemaValidationError` 2150858817 with HTTP **400**;
//! * structurally malformed Invoke parameters (nested XML instead of a CIM-XML string, REF
//!   wrapped in `a:EndpointReference`) → `w:InvalidParameter` 2150858810; an unparsable
//!   CIM-XML string or a wrong CLASSNAME → `w:InvalidParameter` with an `MSFT_WmiError` detail
//!   (CIMStatusCode 4, error_Code 2147749896 WBEM_E_INVALID_PARAMETER), as WMI reports it;
//! * WQL the provider rejects → the `n:CannotProcessFilter` fault above with a nested
//!   `f:ProviderFault` and `__ExtendedStatus` (ExecQuery, the query) as in E14;
//! * injected access denial → `w:AccessDenied` 5; injected Pull timeout → `s:Receiver`
//!   `w:TimedOut` 2150858793.
//!
//! All faults use HTTP 500 unless stated (or unless the scenario asks for 400).

use super::envelope::{Detail, SimFault, fault_action};

/// Invalid selector value.
pub fn invalid_selectors(detail: &str) -> SimFault {
    SimFault::new(
        true,
        "w:InvalidSelectors",
        2150858813,
        format!(
            "The WS-Management service cannot process the request because the request contained invalid selectors for the resource: {detail}. "
        ),
    )
}

/// A key selector is missing.
pub fn insufficient_selectors(key: &str) -> SimFault {
    SimFault::new(
        true,
        "w:InvalidSelectors",
        2150858842,
        format!(
            "The WS-Management service cannot process the request because the selector {key} is missing. "
        ),
    )
}

/// A selector that is not a key of the class.
pub fn unexpected_selector(name: &str) -> SimFault {
    SimFault::new(
        true,
        "w:InvalidSelectors",
        2150858843,
        format!(
            "The WS-Management service cannot process the request because the selector {name} is not a key of the resource. "
        ),
    )
}

/// No such instance.
pub fn not_found(what: &str) -> SimFault {
    SimFault::new(true, "a:DestinationUnreachable", 2150858752, format!(
        "The WS-Management service cannot process the request because the resource {what} was not found. "
    ))
    .with_action(fault_action::ADDRESSING)
}

/// Unknown resource URI.
pub fn invalid_resource_uri(uri: &str) -> SimFault {
    SimFault::new(true, "a:DestinationUnreachable", 2150858811, format!(
        "The WS-Management service cannot process the request. The resource URI {uri} is not valid. "
    ))
    .with_action(fault_action::ADDRESSING)
}

/// Unknown action.
pub fn action_not_supported(action: &str) -> SimFault {
    SimFault::new(true, "a:ActionNotSupported", 2150858811, format!(
        "The WS-Management service cannot process the request because the action {action} is not supported. "
    ))
    .with_action(fault_action::ADDRESSING)
}

/// Bad WQL.
pub fn cannot_process_filter(detail: &str) -> SimFault {
    SimFault::new(
        true,
        "n:CannotProcessFilter",
        2150858778,
        format!("The WS-Management service cannot process the filter: {detail}. "),
    )
    .with_action(fault_action::ENUMERATION)
}

/// Bad WQL, as the WMI provider reports it: nested `f:ProviderFault` with the query in
/// `__ExtendedStatus.ParameterInfo` (E14). Unknown classes get the inner message "The
/// specified class does not exist in the given namespace."; other errors "Invalid query".
pub fn query_failed(query: &str, detail: &str, unknown_class: bool) -> SimFault {
    let inner_message = if unknown_class {
        "The specified class does not exist in the given namespace. "
    } else {
        "Invalid query "
    };
    SimFault {
        detail: Box::new(Detail::Provider {
            inner_code: if unknown_class {
                2147749904
            } else {
                2147749911
            },
            inner_message: inner_message.to_string(),
            operation: "ExecQuery",
            parameter: query.to_string(),
        }),
        ..cannot_process_filter(detail)
    }
}

/// Unknown/expired context.
pub fn invalid_context() -> SimFault {
    SimFault::new(true, "n:InvalidEnumerationContext", 2150858779,
        "The WS-Management service cannot process the request because the enumeration context is not valid or has expired. ")
    .with_action(fault_action::ENUMERATION)
}

/// Envelope size problems.
pub fn encoding_limit(detail: &str) -> SimFault {
    SimFault::new(
        true,
        "w:EncodingLimit",
        2150858824,
        format!(
            "The WS-Management service cannot process the request because of the envelope size limit: {detail}. "
        ),
    )
}

/// Too many open contexts.
pub fn quota_limit() -> SimFault {
    SimFault::new(
        true,
        "w:QuotaLimit",
        2150859174,
        "The WS-Management service cannot process the request. The maximum number of concurrent operations has been exceeded. ",
    )
}

/// Malformed request (HTTP 400).
pub fn schema_validation(detail: &str) -> SimFault {
    let mut f = SimFault::new(
        true,
        "w:SchemaValidationError",
        2150858817,
        format!(
            "The WS-Management service cannot process the request because the XML is invalid: {detail}. "
        ),
    );
    f.status = 400;
    f
}

/// A method parameter WMI itself rejects (the embedded instance): `w:InvalidParameter` with an
/// `MSFT_WmiError` detail, CIMStatusCode 4, error_Code 2147749896 (WBEM_E_INVALID_PARAMETER).
pub fn wmi_invalid_parameter(detail: &str) -> SimFault {
    SimFault {
        code: 2147749896,
        detail: Box::new(Detail::WmiError {
            cim_status: 4,
            error_code: 2147749896,
        }),
        ..invalid_parameter(detail)
    }
}

/// Structurally malformed method parameter.
pub fn invalid_parameter(detail: &str) -> SimFault {
    SimFault::new(
        true,
        "w:InvalidParameter",
        2150858810,
        format!(
            "The WS-Management service cannot process the request because a parameter is invalid: {detail}. "
        ),
    )
}

/// Injected access denial.
pub fn access_denied() -> SimFault {
    SimFault::new(true, "w:AccessDenied", 5, "Access is denied. ")
}

/// Injected Pull timeout.
pub fn timed_out() -> SimFault {
    SimFault::new(
        false,
        "w:TimedOut",
        2150858793,
        "The WS-Management service cannot complete the operation within the time specified in OperationTimeout. ",
    )
}

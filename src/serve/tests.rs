//! In-process tests of the endpoint.

// Package schema is the published contract of the worker: the JSON Schemas
// (complaint, status event, decision) embedded from this folder and the Go
// types that match them.
//
// Decoding is strict and exact. DecodeComplaint accepts precisely the
// documents complaint.schema.json accepts (a test holds the two to the same
// good and bad fixtures), with two deliberate extras JSON Schema cannot
// express: duplicate object keys and invalid UTF-8 are refused.
// Every refusal is an *Error whose Reason is a short, bounded code fit for a
// dead-letter header or a metric label.
package schema

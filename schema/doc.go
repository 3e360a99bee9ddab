// Package schema is the published contract of the worker: the JSON Schemas
// (complaint, status event, decision, SLA event, and what the worker
// accepts) embedded
// from this folder, the Go types that match them, and the decoders.
//
// A Decoder reads in one of two modes. Strict accepts exactly what
// complaint.schema.json accepts: it is what producers are checked against
// (ValidateLines). Tolerant is how the worker reads: it decides whatever can
// be decided and refuses only what cannot, exactly what
// complaint.accepted.schema.json accepts (plus time stamps without an
// offset when a zone is configured); what it read leniently is in
// Complaint.Read, as bounded Notes. Both modes also refuse what JSON Schema
// cannot express: documents over MaxDocumentBytes or nested deeper than
// MaxDepth (the size before parsing, the depth as soon as the level over it
// is met), duplicate keys, and (Strict) invalid UTF-8. Tests and fuzz
// targets hold each mode to its schema in both directions.
//
// Documents are parsed by a JSON parser of this package (json.go), in one
// pass and without copying the document; fastjson only explains what it
// refuses, and FuzzTree holds the two to the same refusals and readings.
//
// Every refusal is an *Error whose Reason is one of Reasons: a short,
// bounded code fit for a dead-letter header or a metric label, and whose
// message is bounded (MaxErrorBytes). Actions, Objects and Note.Field are
// bounded too, for metrics of lenient reading.
//
// Time stamps are only read here; TimeBounds says how far from the
// reference time they may be, and the rules engine decides what an
// implausible one means.
package schema

// Package sla tracks every decided complaint against its clocks: the answer
// due by respond_by (working days), and, when the buyer is asked for
// evidence, the 48-hour evidence clock. It is fed decisions and status
// events (in any order, duplicates included), measures time to first
// response and to resolution in wall and working time, counts deadlines met
// and breached, and reports what is open, overdue and due soon. It does no
// I/O: the stream feeds it, metrics read it.
package sla

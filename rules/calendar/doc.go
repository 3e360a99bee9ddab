// Package calendar knows which days are working days (weekends, public
// holidays, make-up working days) and computes the deadlines and working
// durations of the complaint clocks. It reads a calendar file; the engine
// and the SLA metrics share it so both count the same days.
package calendar

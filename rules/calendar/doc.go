// Package calendar knows which days are working days (weekends, public
// holidays, make-up working days) and computes the deadlines and working
// durations of the complaint clocks. China's public holidays and make-up
// days come from a maintained source (the State Council's notices, as kept
// by github.com/6tail/lunar-go); a calendar file sets the zone and the
// weekend, chooses the source and overrides it day by day. The calendar
// knows the years its data holds, no more: a deadline counted past them is
// still computed, and says so (Deadline's known). The engine and the SLA
// metrics share it so both count the same days.
package calendar

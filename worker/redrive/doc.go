// Package redrive is `worker redrive`: it gives the complaints of the
// dead-letter topic another chance once their cause is fixed (a producer
// bug, a zone configured, a worker bug). It reads every partition of the
// dead-letter topic up to the end offsets it finds at start, selects
// letters by reason and time, and re-produces each one's original key and
// bytes to the complaints topic with the headers redrive.count and
// redrive.from.
//
// Running it twice redrives nothing twice: every letter redriven is
// recorded in a ledger, a compacted topic keyed by the letter's topic,
// partition and offset, which the next run reads first (--again ignores
// it). A letter is recorded only once its complaint is written, so a run
// that dies in between redrives that letter again next time: the
// complaint is then a redelivery (same bytes), which the history counts
// once. A complaint that fails again goes back to the dead-letter topic as
// a new letter carrying its redrive.count; past --max-redrives it is left
// alone and reported. A trimmed letter (it no longer holds the original
// bytes) is never redriven, only reported.
package redrive

package report

import "github.com/tunebench/tunebench/results"

// Units of the load side that the report reads beyond the built-in ones.
// results names them (results/format.go); the report only reads them.
const (
	unitSLORate    = results.UnitSLORate    // a capacity search's result
	unitCompleted  = results.UnitCompleted  // completions per second; req/s is the rate sent
	unitSendLagP50 = results.UnitSendLagP50 // the agent's own lateness
	unitSendLagP99 = results.UnitSendLagP99
	unitEmuLateP99 = results.UnitEmuLateP99 // the TUN emulator's lateness
	unitCPUBusy    = results.UnitCPUBusy    // the host's CPU, busy fraction
	unitSuspect    = results.UnitSuspect    // 1: the repetition's own error is large
)

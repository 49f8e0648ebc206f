package app

import (
	"os"
	"runtime/debug"
)

// DefaultGCPercent is the garbage collector's target when GOGC is not set.
//
// A GraphQL answer allocates per field (gqlgen builds a field context, a
// path and a marshaler for every field of every object), so a page of 50
// orders allocates a few megabytes that die as soon as it is written. The
// live heap stays small — tens of megabytes — so Go's default of 100 starts
// a collection every few requests and spends a quarter of the CPU on it.
// At 400 the heap may grow to five times the live data between collections:
// still well under a hundred megabytes for this server, and W2 on
// PostgreSQL serves about 50 % more pages per second (see the README's
// performance section).
const DefaultGCPercent = 400

// TuneGC sets the collector's target to DefaultGCPercent unless the GOGC
// environment variable chose one, and returns the target in force. A memory
// limit (GOMEMLIMIT) still applies: near it the collector runs as often as
// it must, whatever the percent.
func TuneGC() int {
	if v, ok := os.LookupEnv("GOGC"); ok && v != "" {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	debug.SetGCPercent(DefaultGCPercent)
	return DefaultGCPercent
}

package main

import (
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"

	"github.com/licensebot/licensebot/config"
)

// runtimeSettings are the collector settings serve runs with, and where
// each came from ("config", "default" or "GOGC"/"GOMEMLIMIT").
type runtimeSettings struct {
	gcPercent     int
	gcFrom        string
	memoryLimit   int64 // 0: none
	memoryLimitOf string
}

// tuneRuntime sets the collector's target (serve.gc_percent, default
// config.DefaultGCPercent) and soft memory limit (serve.memory_limit),
// unless the GOGC or GOMEMLIMIT environment variables set them: the Go
// runtime has read those already, and an operator who sets them means
// them. Only `licensebot serve` calls it: the other commands are short
// and keep Go's defaults.
func tuneRuntime(cfg config.Serve) (runtimeSettings, error) {
	var rs runtimeSettings
	if os.Getenv("GOGC") != "" {
		rs.gcPercent, rs.gcFrom = debug.SetGCPercent(-1), "GOGC"
		debug.SetGCPercent(rs.gcPercent)
	} else {
		rs.gcPercent, rs.gcFrom = cfg.GCPercent, "config"
		if rs.gcPercent == 0 {
			rs.gcPercent, rs.gcFrom = config.DefaultGCPercent, "default"
		}
		debug.SetGCPercent(rs.gcPercent)
	}
	limit, err := cfg.MemoryLimitBytes()
	if err != nil {
		return rs, err
	}
	switch {
	case os.Getenv("GOMEMLIMIT") != "":
		rs.memoryLimit, rs.memoryLimitOf = debug.SetMemoryLimit(-1), "GOMEMLIMIT"
	case limit > 0:
		debug.SetMemoryLimit(limit)
		rs.memoryLimit, rs.memoryLimitOf = limit, "config"
	}
	return rs, nil
}

func (rs runtimeSettings) logAttrs() []any {
	attrs := []any{"gc_percent", rs.gcPercent, "gc_percent_from", rs.gcFrom}
	if rs.memoryLimitOf != "" {
		attrs = append(attrs, "memory_limit_bytes", rs.memoryLimit, "memory_limit_from", rs.memoryLimitOf)
	}
	return attrs
}

// debugMux is Go's profiler for serve.debug_addr, on a mux of its own
// (nothing is registered on http.DefaultServeMux).
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// debugLimits: a CPU profile or a trace streams for as long as asked
// (30 s by default), so there is no write deadline; few connections.
func debugLimits(l httpLimits) httpLimits {
	l.write, l.maxConns = 0, 8
	return l
}

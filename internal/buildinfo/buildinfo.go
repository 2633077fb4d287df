// Package buildinfo says which build of streambot is running, from the
// information the go command embeds in every binary (runtime/debug): the
// module version, the VCS revision and time, whether the tree had local
// changes, and the Go version. `streambot --version` prints it and each
// Lambda bootstrap logs it on its first line, so a log or a bug report
// names the code that produced it.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Version describes the running build, e.g.
//
//	v1.2.0 (rev 1c41c05e9a2b, 2026-12-06T21:14:03Z) go1.26.8
//	(devel) (rev 1c41c05e9a2b, 2026-12-06T21:14:03Z, modified) go1.26.8
//
// A binary built without VCS information (go run, -buildvcs=false) shows
// no revision.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	return format(bi)
}

func format(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var b strings.Builder
	b.WriteString(v)
	if rev != "" {
		b.WriteString(" (rev ")
		b.WriteString(rev[:min(12, len(rev))])
		if at != "" {
			b.WriteString(", " + at)
		}
		if modified {
			b.WriteString(", modified")
		}
		b.WriteString(")")
	}
	if bi.GoVersion != "" {
		b.WriteString(" " + bi.GoVersion)
	}
	return b.String()
}

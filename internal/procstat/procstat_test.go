package procstat

import (
	"os"
	"testing"
)

func TestPeakRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system: procstat is for Linux")
	}
	rss, err := PeakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// A Go test binary holds at least its own text and heap: well over 1 MiB,
	// and far below 1 TiB.
	if rss < 1<<20 || rss > 1<<40 {
		t.Errorf("PeakRSS(self) = %d bytes, want a plausible size", rss)
	}
	if _, err := PeakRSS(-1); err == nil {
		t.Error("PeakRSS(-1) succeeded")
	}
}

package testtools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeT records failures instead of failing the test that uses it.
type fakeT struct {
	testing.TB
	errs []string
}

func (f *fakeT) Helper()                           {}
func (f *fakeT) Errorf(format string, args ...any) { f.errs = append(f.errs, format) }
func (f *fakeT) Fatalf(format string, args ...any) { f.errs = append(f.errs, format) }

func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok := &fakeT{TB: t}
	Golden(ok, path, []byte("same\n"))
	if len(ok.errs) != 0 {
		t.Errorf("Golden() with equal content failed: %v", ok.errs)
	}
	bad := &fakeT{TB: t}
	Golden(bad, path, []byte("different\n"))
	if len(bad.errs) != 1 || !strings.Contains(bad.errs[0], "differs") {
		t.Errorf("Golden() with other content = %v, want one failure saying it differs", bad.errs)
	}
	missing := &fakeT{TB: t}
	Golden(missing, filepath.Join(t.TempDir(), "none.golden"), []byte("x"))
	if len(missing.errs) != 1 {
		t.Errorf("Golden() without a file = %v, want one failure", missing.errs)
	}
}

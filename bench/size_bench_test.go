package bench_test

import (
	"archive/zip"
	"compress/flate"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/streambot/streambot/internal/lambdatest"
)

// zipSize writes a zip holding file as "bootstrap" (mode 0755, Deflate at
// its best compression, as `zip -9`) into a temporary file and returns the
// zip's size.
func zipSize(b *testing.B, file string) int64 {
	b.Helper()
	in, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(b.TempDir(), "function.zip"))
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(w, in); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := out.Stat()
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}

// BenchmarkBootstrapSize builds both functions the way `make build` does
// (CGO_ENABLED=0 GOOS=linux GOARCH=arm64, lambda.norpc, -trimpath, -s -w)
// and reports each bootstrap's size and its zip's (Deflate, best
// compression) in bytes. Targets (issue 15): bootstrap ≤ 9,000,000 and zip
// ≤ 3,500,000, with everything the functions link (the state table too).
//
//	go test -run '^$' -bench BootstrapSize -benchtime 1x ./bench
func BenchmarkBootstrapSize(b *testing.B) {
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"}
	for b.Loop() {
		for _, fn := range []string{"slack", "create"} {
			bin := goBuild(b, "./functions/"+fn, env, lambdatest.BuildFlags...)
			st, err := os.Stat(bin)
			if err != nil {
				b.Fatal(err)
			}
			z := zipSize(b, bin)
			b.Logf("%-6s bootstrap %10d bytes, zip %10d bytes", fn, st.Size(), z)
			b.ReportMetric(float64(st.Size()), fn+"-bytes")
			b.ReportMetric(float64(z), fn+"-zip-bytes")
		}
	}
}
